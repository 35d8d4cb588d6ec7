"""Arrays as Plotly's typed-array spec writes them: {"dtype": "f8", "bdata": base64 of little-endian float64}.

The opt-in transport of /api/runs and /api/runs/stream (`?arrays=bdata`): the page decodes each array straight
into a Float64Array, 8 bytes a number (10.7 characters in base64) instead of about 19 characters of JSON, and
with the same bits as the JSON answer's numbers. Where the JSON answer writes null (a number that is not
finite), the typed array holds that number as it is (NaN or ±Infinity). The [x, y] pairs of a run's `internals`
are one (n, 2) array each, row-major (x0, y0, x1, y1, ...), with Plotly's `shape` "n,2".

Example:
    >>> import numpy as np
    >>> typed(np.array([1.0, 0.5]))
    {'dtype': 'f8', 'bdata': 'AAAAAAAA8D8AAAAAAADgPw=='}
    >>> with_typed_arrays({"run": 0, "x": np.array([2.0])})
    {'run': 0, 'x': {'dtype': 'f8', 'bdata': 'AAAAAAAAAEA='}}
    >>> typed(np.zeros((1, 2)))
    {'dtype': 'f8', 'bdata': 'AAAAAAAAAAAAAAAAAAAAAA==', 'shape': '1,2'}
"""
from __future__ import annotations

import base64

import numpy as np

ARRAY_FIELDS = ("x", "y", "loss", "lr", "grad_norm", "step_norm", "fast_x", "fast_y")  # of a run and a chunk


def typed(values) -> dict:
    """One array of numbers as {"dtype": "f8", "bdata": base64 of its little-endian float64 bytes}, with
    "shape": "rows,columns" when it has two dimensions."""
    array = np.ascontiguousarray(values, dtype="<f8")
    out = {"dtype": "f8", "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim == 2:
        out["shape"] = ",".join(str(n) for n in array.shape)
    return out


def with_typed_arrays(record: dict) -> dict:
    """A run result or a stream chunk with its arrays typed (its `internals` too); every other field as it is."""
    out = {name: typed(value) if name in ARRAY_FIELDS and value is not None else value
           for name, value in record.items()}
    if record.get("internals") is not None:
        inside = record["internals"]
        out["internals"] = {"gradient": typed(inside["gradient"]), "update": typed(inside["update"]),
                            "state": {name: typed(value) for name, value in inside["state"].items()}}
    return out
