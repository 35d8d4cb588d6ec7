"""Basin maps: where one run ends from every start of an n x n grid over the plot domain, in one compiled call.

`basin[i][j]` (start x = x[j], y = y[i]) is the index of the minimum (in `minima`) whose neighbourhood the final
point settled in (within SETTLED of the domain's span), or −1 diverged, −2 escaped, −3 not settled near any
minimum. The answer's schema is `app.contract.answers.BasinAnswer`.

Example:
    >>> from app.contract.compute import basin_map
    >>> grid = basin_map({"landscape": {"id": "himmelblau"}, "runs": [{"schedule": {"id": "constant",
    ...                   "params": {"lr": 0.01}}}]}, run=0, n=4)
    >>> len(grid["basin"]), len(grid["basin"][0])
    (4, 4)
"""
from __future__ import annotations

import numpy as np

from ..engine.plan import Plan
from ..engine.stop import DIVERGED, ESCAPED
from .cells import final_states, one_cell, steps_or_null

# basin codes besides a minimum's index
BASIN_DIVERGED, BASIN_ESCAPED, BASIN_UNSETTLED = -1, -2, -3
SETTLED = 0.02  # a final point within this fraction of the domain's span of a minimum has settled there


def basin_map(plan: Plan, run: int, n: int) -> dict:
    """Where run `run` ends from every start of an n x n grid; `steps_to_tolerance[i][j]` is None where the run
    never came within tolerance."""
    (x0, x1), (y0, y1) = plan.landscape.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    out = final_states(plan, one_cell(plan, run), np.stack([gx.ravel(), gy.ravel()], 1))
    minima = plan.minima
    span = max(x1 - x0, y1 - y0)
    basin = np.full(n * n, BASIN_UNSETTLED)
    if minima:
        points = np.asarray([[p.x, p.y] for p in minima])
        distances = np.hypot(out["x"][:, None] - points[None, :, 0], out["y"][:, None] - points[None, :, 1])
        nearest = np.argmin(distances, axis=1)
        basin = np.where(distances[np.arange(n * n), nearest] <= SETTLED * span, nearest, BASIN_UNSETTLED)
    basin = np.where(out["stop_code"] == DIVERGED, BASIN_DIVERGED,
                     np.where(out["stop_code"] == ESCAPED, BASIN_ESCAPED, basin))
    shape = (n, n)
    return {
        "x": xs, "y": ys, "basin": basin.reshape(shape),
        "final_loss": np.where(out["stop_code"] == 0, out["loss"], np.nan).reshape(shape),
        "steps_to_tolerance": steps_or_null(out["reached"], shape),
        "minima": [p.as_dict() for p in minima],
        "codes": {"diverged": BASIN_DIVERGED, "escaped": BASIN_ESCAPED, "unsettled": BASIN_UNSETTLED},
        "counts": {str(code): int(np.sum(basin == code)) for code in np.unique(basin)},
    }
