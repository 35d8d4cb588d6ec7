"""Seed bands: one noisy run once per seed 0..seeds−1 (its noise level kept), the mean and spread of the loss at
every step over the seeds still running, and every seed's path.

Example:
    >>> [run["label"] for run in seed_runs({"noise": {"std": 0.5, "seed": 7}, "label": "SGD"}, 3)]
    ['seed 0', 'seed 1', 'seed 2']
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np

from ..engine.plan import Plan
from ..engine.trajectories import run_plan


def seed_runs(run: Mapping[str, Any], seeds: int) -> list[dict]:
    """The run once per seed, its noise level kept."""
    return [{**run, "noise": {"std": run["noise"]["std"], "seed": seed}, "label": f"seed {seed}"}
            for seed in range(seeds)]


def seed_bands(plan: Plan) -> dict:
    """The band of a plan whose runs are `seed_runs` (`app.contract.requests.SeedsRequest.seeds_scene`)."""
    results = run_plan(plan)
    losses = np.full((len(results), plan.steps + 1), np.nan)
    for i, r in enumerate(results):
        losses[i, :len(r.loss)] = r.loss
    alive = np.sum(~np.isnan(losses), axis=0)
    with warnings.catch_warnings():  # steps where every seed has stopped are NaN (null in JSON)
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, std = np.nanmean(losses, axis=0), np.nanstd(losses, axis=0)
        low, high = np.nanmin(losses, axis=0), np.nanmax(losses, axis=0)
    return {"mean_loss": mean, "std_loss": std, "min_loss": low, "max_loss": high, "running": alive,
            "paths": [{"seed": i, "x": r.x, "y": r.y, "status": r.status, "final_loss": r.summary["final_loss"]}
                      for i, r in enumerate(results)]}
