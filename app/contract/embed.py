"""What an embed URL may ask for: `/embed?s=TOKEN[&view=contour|3d][&views=landscape,lr,loss]`.

`views` names the views the embedded page shows, in any order, each at most once; all three when absent.

Example:
    >>> embed_views("loss,landscape")
    ['loss', 'landscape']
    >>> embed_views("lr,lr")
    Traceback (most recent call last):
    ...
    ValueError: views is a comma-separated list of landscape, lr, loss, each at most once; got 'lr,lr'
"""
from __future__ import annotations

EMBED_VIEWS = ("landscape", "lr", "loss")
EMBED_VIEW_MODES = ("contour", "3d")


def embed_views(text: str) -> list[str]:
    """The views of an embed, in the order asked; ValueError naming the allowed ones otherwise."""
    names = text.split(",")
    if not text or any(name not in EMBED_VIEWS for name in names) or len(set(names)) != len(names):
        raise ValueError(f"views is a comma-separated list of {', '.join(EMBED_VIEWS)}, each at most once; got {text!r}")
    return names
