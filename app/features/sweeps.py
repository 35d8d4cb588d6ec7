"""Sweeps: one run with one or two of its numbers varied over a grid (a rate or any schedule or optimizer
parameter, the start, the clipping, the noise level or the length), every cell a trajectory of the grid kernel.

Grids are (len(y values), len(x values)); a single axis gives one row. `stopped_at` and `steps_to_tolerance` are
None where the run did not stop / never reached tolerance, as in a run's result (`app.contract.answers.SweepAnswer`).

Example:
    >>> sweepable("schedule.params.lr"), sweepable("schedule.params.parts"), sweepable("landscape.params.a")
    (True, False, False)
    >>> set_path({"start": (0.0, 1.0)}, "start.0", 2.0)
    {'start': [2.0, 1.0]}
"""
from __future__ import annotations

import copy
from typing import Any, Mapping

import numpy as np

from ..engine.plan import Plan
from ..schedules.table import learning_rate_tables
from .cells import final_states, one_cell, statuses, steps_or_null, tiled

SWEEP_PARAMS = ("schedule.params.<name>", "optimizer.params.<name>", "optimizer.params.inner.params.<name>",
                "start.0", "start.1", "clip_norm", "noise.std", "steps")


def sweepable(path: str) -> bool:
    """Whether a sweep can vary the number at `path` (one of SWEEP_PARAMS)."""
    allowed = (path.startswith(("schedule.params.", "optimizer.params.")) and "parts" not in path) or \
        path in ("start.0", "start.1", "clip_norm", "noise.std", "steps")
    return allowed and not path.endswith(".inner")


def axis_values(axis: Mapping[str, Any]) -> np.ndarray:
    if axis.get("values") is not None:
        return np.asarray(axis["values"], dtype=np.float64)
    if axis["scale"] == "log":
        return np.geomspace(axis["from"], axis["to"], axis["n"])
    return np.linspace(axis["from"], axis["to"], axis["n"])


def set_path(run: dict, path: str, value: float) -> dict:
    """A copy of `run` with the number at `path` (e.g. "schedule.params.lr", "start.0") set."""
    run = copy.deepcopy(run)
    parts = path.split(".")
    node = run
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, (list, tuple)) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, (list, tuple)):
        node = list(node)
        node[int(last)] = value
        run[parts[0]] = node
    else:
        node[last] = value
    return run


def sweep(plan: Plan, run: int, axes: list[Mapping[str, Any]],
          schedules_at_length: Mapping[int, tuple[str, Mapping[str, Any]]] | None = None) -> dict:
    """Run `run` of the plan over the grid of `axes` ({param, values, from, to, n, scale}): final loss, steps to
    tolerance, status and where each cell stopped.

    Every cell's values have been validated as a scene (`app.contract.requests.SweepRequest`). On a `steps` axis
    the plan is the scene at its longest length and every cell stops at its own, with its schedule at that length
    (`schedules_at_length`: its defaults written in T are those of that length).
    """
    base = plan.runs[run]
    values = [axis_values(a) for a in axes]
    grid_values = np.meshgrid(*values) if len(values) == 2 else [values[0][None, :]]
    shape = grid_values[0].shape
    flat = [g.ravel() for g in grid_values]
    cells = flat[0].size
    cell = one_cell(plan, run)
    inputs = tiled(cell.inputs, cells)
    limits = np.full(cells, float(plan.steps))
    starts = np.tile(np.asarray(base.start, dtype=np.float64), (cells, 1))
    schedules = None
    lengths = None
    for axis, column in zip(axes, flat):
        path = axis["param"]
        if path == "steps":
            lengths = column.astype(int)
            limits = column.astype(np.float64)
        elif path.startswith("optimizer.params."):
            name = path[len("optimizer.params."):].replace("inner.params.", "inner.")
            inputs.hyper[name] = column.copy()
        elif path in ("start.0", "start.1"):
            starts[:, int(path[-1])] = column
        elif path == "clip_norm":
            inputs = inputs._replace(clip=column.copy())
        elif path == "noise.std":
            inputs = inputs._replace(noise_std=column.copy())
        elif path.startswith("schedule.params."):
            schedules = schedules or [copy.deepcopy(dict(base.schedule_params)) for _ in range(cells)]
            name = path[len("schedule.params."):]
            for params, value in zip(schedules, column):
                params[name] = float(value)
    lr = None
    if lengths is not None:  # each cell's schedule at its own length (T-defaults of that length), zero after
        lr = np.zeros((cells, plan.steps))
        for i, length in enumerate(lengths):
            schedule_id, params = schedules_at_length[int(length)]
            params = copy.deepcopy(dict(params))
            if schedules is not None:
                params.update({k: v for k, v in schedules[i].items() if base.schedule_params.get(k) != v})
            lr[i, :length] = learning_rate_tables([(schedule_id, params)], int(length))[0]
    elif schedules is not None:
        lr = learning_rate_tables([(base.schedule_id, params) for params in schedules], plan.steps)
    out = final_states(plan, cell, starts, inputs, limits, lr)
    return {
        "axes": [{"param": a["param"], "values": v} for a, v in zip(axes, values)],
        "final_loss": np.where(out["stop_code"] == 0, out["loss"], np.nan).reshape(shape),
        "steps_to_tolerance": steps_or_null(out["reached"], shape),
        "status": statuses(out).reshape(shape).tolist(),
        "stopped_at": steps_or_null(out["stop_step"], shape),
    }
