"""The summary of one run: final and best loss, the nearest minimum and the steps to reach tolerance.

`steps_to_tolerance` is the first step k with f(θ_k) − f* ≤ tolerance, where f* is the lowest minimum inside the
plot domain at the scene's landscape parameters (or the landscape's infimum when no minimum is attained, as on
the pure sigmoid cliff); null when never reached or when the surface is unbounded below. The tolerance is the
scene's `tolerance` (default 1e-3, absolute).

Example:
    >>> import numpy as np
    >>> from landscapes import LANDSCAPES, minima
    >>> booth = LANDSCAPES["booth"]
    >>> s = summarise(minima(booth), 0.0, np.array([0.0, 1.0]), np.array([0.0, 3.0]), np.array([74.0, 0.0]), 1e-3)
    >>> s["final_loss"], s["steps_to_tolerance"], s["distance_to_nearest_minimum"]
    (0.0, 1, 0.0)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from landscapes import CriticalPoint


def summarise(points: Sequence[CriticalPoint], target: float | None, x: np.ndarray, y: np.ndarray,
              loss: np.ndarray, tolerance: float) -> dict:
    """`points`: the landscape's minima at the scene's parameters; `target`: f* (`Plan.target`), None: unknown."""
    final = (float(x[-1]), float(y[-1]))
    nearest, distance = None, None
    if points:
        distances = [float(np.hypot(p.x - final[0], p.y - final[1])) for p in points]
        best = int(np.argmin(distances))
        nearest, distance = points[best].as_dict(), distances[best]
    reached = None
    if target is not None:
        hits = np.flatnonzero(loss - target <= tolerance)
        reached = int(hits[0]) if hits.size else None
    return {
        "final_loss": float(loss[-1]),
        "best_loss": float(np.min(loss)),
        "distance_to_nearest_minimum": distance,
        "nearest_minimum": nearest,
        "steps_to_tolerance": reached,
        "tolerance": tolerance,
    }
