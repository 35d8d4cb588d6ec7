"""The summary of one run: final and best loss, the nearest minimum and the steps to reach tolerance.

`steps_to_tolerance` is the first step k with f(θ_k) − f* ≤ tolerance, where f* is the lowest minimum inside the
plot domain at the scene's landscape parameters (or the landscape's infimum when no minimum is attained, as on
the pure sigmoid cliff); null when never reached or when the surface is unbounded below. The tolerance is the
scene's `tolerance` (default 1e-3, absolute).

Example:
    >>> import numpy as np
    >>> from landscapes import LANDSCAPES, minima
    >>> booth = LANDSCAPES["booth"]
    >>> points = minima(booth)
    >>> nearest, = nearest_minima(points, np.array([1.0]), np.array([3.0]))
    >>> s = summary_of(points, 0.0, best_loss=0.0, reached=1, tolerance=1e-3, nearest=nearest)
    >>> s["final_loss"], s["steps_to_tolerance"], s["distance_to_nearest_minimum"]
    (0.0, 1, 0.0)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from landscapes import CriticalPoint


def nearest_minima(points: Sequence[CriticalPoint], x: np.ndarray, y: np.ndarray) -> list[tuple[int, float] | None]:
    """For each final point (x[i], y[i]): (index in `points`, distance) of the nearest minimum; None without any."""
    if not points:
        return [None] * len(x)
    px, py = np.asarray([p.x for p in points]), np.asarray([p.y for p in points])
    distances = np.hypot(px[None, :] - np.asarray(x)[:, None], py[None, :] - np.asarray(y)[:, None])
    nearest = np.argmin(distances, axis=1)
    return list(zip(nearest.tolist(), distances[np.arange(len(nearest)), nearest].tolist()))


def summary_of(points: Sequence[CriticalPoint], final_loss: float, best_loss: float, reached: int | None,
               tolerance: float, nearest: tuple[int, float] | None) -> dict:
    """`points`: the landscape's minima at the scene's parameters; the final loss, the best loss and the first step
    within tolerance (None: never), as `app.engine.stop.run_ends` gives them; `nearest`: `nearest_minima`'s."""
    return {
        "final_loss": float(final_loss),
        "best_loss": float(best_loss),
        "distance_to_nearest_minimum": None if nearest is None else nearest[1],
        "nearest_minimum": None if nearest is None else points[nearest[0]].as_dict(),
        "steps_to_tolerance": reached,
        "tolerance": tolerance,
    }
