"""Tuning one run's base learning rate: a log sweep of the rate in one grid call, each rate scored.

The rate tuned is the schedule's `lr`, or its peak `max_lr` where it has no `lr` (the cyclical schedules and the
one-cycle policy). Each of the n rates geomspace(from, to, n) is one cell of the grid kernel
(`app.features.sweeps.sweep`), so the whole tune is one compiled call, never a loop of runs. A rate is scored by

    final_loss          f(θ_N), lower is better
    steps_to_tolerance  the first k with f(θ_k) − f* ≤ tolerance, fewer is better (ties: the lower final loss)

and scores null where the run stopped (diverged or escaped) or, for steps_to_tolerance, never came within
tolerance. `best` is the rate with the best score (the lowest rate among equals), null when none scores.

Example:
    >>> pick_best([0.1, 0.2, 0.4], [3, 2, 2], [1e-3, 2e-4, 5e-4])
    0.2
    >>> pick_best([0.1, 0.2], [None, None], [None, None]) is None
    True
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from ..engine.plan import Plan
from .sweeps import sweep

METRICS = ("final_loss", "steps_to_tolerance")
RATE_NAMES = ("lr", "max_lr")  # the base rate of a schedule: the first of these it has


def rate_param(schedule_params: Mapping[str, Any]) -> str | None:
    """The path of a schedule's base rate (`schedule.params.lr` or `.max_lr`), None where it has neither."""
    name = next((name for name in RATE_NAMES if name in schedule_params), None)
    return None if name is None else f"schedule.params.{name}"


def pick_best(values: Sequence[float], scores: Sequence[float | None], final_losses: Sequence[float | None]):
    """The value with the lowest score (ties: the lower final loss, then the lower value); None if none scores."""
    ranked = [(score, loss if loss is not None else math.inf, value)
              for value, score, loss in zip(values, scores, final_losses) if score is not None]
    return min(ranked)[2] if ranked else None


def tune(plan: Plan, run: int, metric: str, axis: Mapping[str, Any]) -> dict:
    """Run `run` of the plan at every rate of `axis` ({param, from, to, n, scale: "log"}, validated as a sweep):
    {param, metric, values, scores, best, status}."""
    grid = sweep(plan, run, [axis])
    values = [float(v) for v in grid["axes"][0]["values"]]
    status = grid["status"][0]
    final_losses = [None if s != "ok" or not math.isfinite(v) else float(v)
                    for s, v in zip(status, grid["final_loss"][0])]
    if metric == "final_loss":
        scores = final_losses
    else:
        scores = [k if s == "ok" else None for s, k in zip(status, grid["steps_to_tolerance"][0])]
    return {"param": axis["param"], "metric": metric, "values": values, "scores": scores,
            "best": pick_best(values, scores, final_losses), "status": status}
