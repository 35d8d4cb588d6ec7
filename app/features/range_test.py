"""Smith's LR range test: one run with its rate rising from min_lr to max_lr (linearly or exponentially), the loss
read against the rate, and the cyclical bounds it suggests.

Suggestion: the rate where the smoothed log-loss is lowest, halved, is `max_lr`: the loss goes on falling for a
while after the rate passes the stability limit, because the unstable direction has to grow back from a tiny
amplitude (on quadratics this lands within a factor of 2 of 2/λ_max, tested). `base_lr` = max_lr/4 (Smith's 1/3
to 1/4); `one_cycle_max_lr` = max_lr.

Example:
    >>> ramp_schedule(1e-4, 1.0, 4, "exponential")
    {'id': 'exponential', 'params': {'lr': 0.0001, 'decay_rate': 10.0, 'decay_steps': 1}}
"""
from __future__ import annotations

import numpy as np

from ..engine.plan import Plan
from ..engine.trajectories import run_plan


def ramp_schedule(min_lr: float, max_lr: float, steps: int, mode: str) -> dict:
    """The schedule {id, params} that rises from min_lr to max_lr over `steps`."""
    if mode == "linear":
        return {"id": "linear_warmup", "params": {"lr": max_lr, "init_lr": min_lr, "warmup": steps}}
    return {"id": "exponential", "params": {"lr": min_lr, "decay_rate": (max_lr / min_lr) ** (1 / steps),
                                            "decay_steps": 1}}


def range_test(plan: Plan, min_lr: float) -> dict:
    """The test of a plan of one run under `ramp_schedule` (`app.contract.requests.RangeTestRequest.test_scene`)."""
    result = run_plan(plan)[0]
    lr, loss = result.lr, result.loss[:len(result.lr)]
    if len(lr) == 0:
        best, at_minimum = 0, float(min_lr)
    else:
        target = plan.target if plan.target is not None else -np.inf  # the log of the gap to f* (raw loss if none)
        scale = 1e-300  # keeps the log finite at f*, without flattening a loss that converges to 1e-50
        log_loss = np.log(np.maximum(loss - target, 0) + scale) if np.isfinite(target) else loss
        window = min(len(lr), max(5, plan.steps // 50))
        smoothed = np.convolve(log_loss, np.ones(window) / window, mode="valid")
        best = int(np.argmin(smoothed)) + (window - 1) // 2
        at_minimum = float(lr[best])
    suggested = at_minimum / 2
    return {"lr": lr, "loss": loss, "status": result.status, "stopped_at": result.stopped_at,
            "suggestion": {"max_lr": suggested, "base_lr": suggested / 4, "one_cycle_max_lr": suggested,
                           "lowest_loss_lr": at_minimum, "at_step": best}}
