"""Beyond single runs: basin maps, sweeps, Smith's LR range test and multi-seed bands, for one run of a scene.

Basin maps and sweeps are grids of trajectories computed by one compiled, sharded call (`app.grid`); the range
test and the seed bands are ordinary scenes through `app.engine`. Inputs are normalised scenes and validated
requests (`app.scene`); nothing here knows HTTP.

Example:
    >>> from app.contract.scene import normalise
    >>> scene = normalise({"landscape": {"id": "himmelblau"}, "runs": [{"schedule": {"id": "constant",
    ...                    "params": {"lr": 0.01}}}]})
    >>> grid = basin_map(scene, run=0, n=4)
    >>> len(grid["basin"]), len(grid["basin"][0])
    (4, 4)
"""
from __future__ import annotations

import copy
import warnings
from typing import Any, Mapping

import numpy as np

from ..engine.trajectories import Plan, plateau_of, run_scene
from ..engine.grid import run_grid
from ..engine.stop import DIVERGED, ESCAPED
from ..engine.kernels import noise_kernel
from ..optimizers import kernel_key
from ..schedules.table import bucket, learning_rate_tables

# basin codes besides a minimum's index
BASIN_DIVERGED, BASIN_ESCAPED, BASIN_UNSETTLED = -1, -2, -3
SETTLED = 0.02  # a final point within this fraction of the domain's span of a minimum has settled there


def _one_cell(plan: Plan, index: int) -> tuple[tuple, bool, dict, np.ndarray, np.ndarray]:
    """The kernel key, plateau flag, one cell's inputs, the LR row and the noise table of run `index`."""
    import jax

    run = plan.scene["runs"][index]
    _, _, inputs, seeds, stds = plan.group_arrays([index])  # the engine's own arrays, row 0
    one = jax.tree.map(lambda column: column[0], inputs)
    noise = np.zeros((plan.steps, 2))
    if stds[0] > 0:
        noise = np.asarray(noise_kernel(bucket(plan.steps))(seeds[0], np.uint32(0)))[:plan.steps]
    key = kernel_key(run["optimizer"]["id"], run["optimizer"]["params"])
    return key, plateau_of(run) is not None, one, plan.learning_rates[index], noise


def _tile(inputs, cells: int):
    import jax
    return jax.tree.map(lambda v: np.full(cells, v, dtype=np.float64), inputs)


def _target(plan: Plan) -> float:
    values = [p.value for p in plan.minima]
    if values:
        return min(values)
    return plan.landscape.infimum if plan.landscape.infimum is not None else -np.inf


def _grid(plan: Plan, index: int, starts: np.ndarray, inputs: dict | None = None, lr: np.ndarray | None = None):
    key, use_plateau, one, lr_row, noise = _one_cell(plan, index)
    cells = len(starts)
    return run_grid(plan.landscape, plan.landscape_values, key, plan.steps, starts,
                    inputs if inputs is not None else _tile(one, cells), np.full(cells, float(plan.steps)),
                    lr if lr is not None else lr_row, noise,
                    use_plateau, _target(plan), plan.scene.get("tolerance", 1e-3))


def _steps_or_null(steps: np.ndarray, shape: tuple) -> list:
    """A grid of step numbers as nested lists, with the kernel's −1 ("never", "not stopped") as None (null)."""
    return [[None if k < 0 else k for k in row] for row in steps.reshape(shape).tolist()]


def _statuses(out: dict) -> np.ndarray:
    return np.where(out["stop_code"] == DIVERGED, "diverged", np.where(out["stop_code"] == ESCAPED, "escaped", "ok"))


def basin_map(scene: Mapping[str, Any], run: int, n: int) -> dict:
    """Where run `run` ends from every start of an n x n grid over the plot domain.

    `basin[i][j]` (start x = x[j], y = y[i]) is the index of the minimum (in `minima`) the final point settled at,
    or −1 diverged, −2 escaped, −3 not settled near any minimum. `steps_to_tolerance[i][j]` is None where the
    run never came within tolerance. The answer's schema is `app.answers.BasinAnswer`.
    """
    plan = Plan(scene)
    (x0, x1), (y0, y1) = plan.landscape.domain
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    out = _grid(plan, run, np.stack([gx.ravel(), gy.ravel()], 1))
    minima = plan.minima
    span = max(x1 - x0, y1 - y0)
    basin = np.full(n * n, BASIN_UNSETTLED)
    if minima:
        points = np.asarray([[p.x, p.y] for p in minima])
        distances = np.hypot(out["x"][:, None] - points[None, :, 0], out["y"][:, None] - points[None, :, 1])
        nearest = np.argmin(distances, axis=1)
        basin = np.where(distances[np.arange(n * n), nearest] <= SETTLED * span, nearest, BASIN_UNSETTLED)
    basin = np.where(out["stop_code"] == DIVERGED, BASIN_DIVERGED, np.where(out["stop_code"] == ESCAPED, BASIN_ESCAPED, basin))
    shape = (n, n)
    return {
        "x": xs, "y": ys, "basin": basin.reshape(shape),
        "final_loss": np.where(out["stop_code"] == 0, out["loss"], np.nan).reshape(shape),
        "steps_to_tolerance": _steps_or_null(out["reached"], shape),
        "minima": [p.as_dict() for p in minima],
        "codes": {"diverged": BASIN_DIVERGED, "escaped": BASIN_ESCAPED, "unsettled": BASIN_UNSETTLED},
        "counts": {str(code): int(np.sum(basin == code)) for code in np.unique(basin)},
    }




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


def sweep(scene: Mapping[str, Any], run: int, axes: list[Mapping[str, Any]], sparse: Mapping[str, Any] | None = None) -> dict:
    """Run `run` with one or two of its numbers varied over a grid: final loss, steps to tolerance, status.

    The scene's runs with each axis value set have been validated by the caller (`app.scene.SweepRequest`).
    Grids are (len(y values), len(x values)); a single axis gives one row. On a `steps` axis every cell is the
    scene at that length: its schedule's defaults written in T are those of that length when `sparse` (the scene
    as the user wrote it) is given, and the grid runs to the longest length with each cell stopping at its own.
    `stopped_at` and `steps_to_tolerance` are None where the run did not stop / never reached tolerance, as in a
    run's result (`app.answers.SweepAnswer`).
    """
    from ..contract.scene import normalise

    steps_axis = next((i for i, a in enumerate(axes) if a["param"] == "steps"), None)
    if steps_axis is not None:
        longest = int(max(axis_values(axes[steps_axis])))
        scene = normalise({**(sparse or scene), "steps": longest})
    plan = Plan(scene)
    base = scene["runs"][run]
    values = [axis_values(a) for a in axes]
    grid_values = np.meshgrid(*values) if len(values) == 2 else [values[0][None, :]]
    shape = grid_values[0].shape
    flat = [g.ravel() for g in grid_values]
    cells = flat[0].size
    key, use_plateau, one, lr_row, noise = _one_cell(plan, run)
    inputs = _tile(one, cells)
    limits = np.full(cells, float(plan.steps))
    starts = np.tile(np.asarray(base["start"], dtype=np.float64), (cells, 1))
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
            schedules = schedules or [copy.deepcopy(base["schedule"]) for _ in range(cells)]
            name = path[len("schedule.params."):]
            for schedule, value in zip(schedules, column):
                schedule["params"][name] = float(value)
    lr = None
    if lengths is not None:  # each cell's schedule at its own length (T-defaults of that length), zero after
        cell_runs = {}
        lr = np.zeros((cells, plan.steps))
        for i, length in enumerate(lengths):
            if length not in cell_runs:
                cell_scene = normalise({**(sparse or scene), "steps": int(length)})
                cell_runs[length] = cell_scene["runs"][run]["schedule"]
            schedule = copy.deepcopy(cell_runs[length])
            if schedules is not None:
                schedule["params"].update({k: v for k, v in schedules[i]["params"].items()
                                           if base["schedule"]["params"].get(k) != v})
            lr[i, :length] = learning_rate_tables([(schedule["id"], schedule["params"])], int(length))[0]
    elif schedules is not None:
        lr = learning_rate_tables([(s["id"], s["params"]) for s in schedules], plan.steps)
    out = run_grid(plan.landscape, plan.landscape_values, key, plan.steps, starts, inputs, limits,
                   lr if lr is not None else lr_row, noise, use_plateau, _target(plan), scene.get("tolerance", 1e-3))
    return {
        "axes": [{"param": a["param"], "values": v} for a, v in zip(axes, values)],
        "final_loss": np.where(out["stop_code"] == 0, out["loss"], np.nan).reshape(shape),
        "steps_to_tolerance": _steps_or_null(out["reached"], shape),
        "status": _statuses(out).reshape(shape).tolist(),
        "stopped_at": _steps_or_null(out["stop_step"], shape),
    }


def range_test(scene: Mapping[str, Any], run: int, min_lr: float, max_lr: float, steps: int, mode: str) -> dict:
    """Smith's LR range test: run `run` with its rate rising from min_lr to max_lr over `steps` (linearly or
    exponentially) and read the loss against the rate.

    Suggestion: the rate where the smoothed log-loss is lowest, halved, is `max_lr`: the loss goes on falling for
    a while after the rate passes the stability limit, because the unstable direction has to grow back from a
    tiny amplitude (on quadratics this lands within a factor of 2 of 2/λ_max, tested). `base_lr` = max_lr/4
    (Smith's 1/3 to 1/4); `one_cycle_max_lr` = max_lr.
    """
    if mode == "linear":
        schedule = {"id": "linear_warmup", "params": {"lr": max_lr, "init_lr": min_lr, "warmup": steps}}
    else:
        schedule = {"id": "exponential", "params": {"lr": min_lr, "decay_rate": (max_lr / min_lr) ** (1 / steps),
                                                    "decay_steps": 1}}
    from ..contract.scene import normalise

    test_run = {**scene["runs"][run], "schedule": schedule, "plateau": None}
    test_scene = normalise({**scene, "steps": steps, "runs": [test_run], "preset": None})
    result = run_scene(test_scene)[0]
    lr, loss = result.lr, result.loss[:len(result.lr)]
    if len(lr) == 0:
        best, at_minimum = 0, float(min_lr)
    else:
        target = _target(Plan(test_scene))  # f*: the log of the gap to it (raw loss where there is none)
        scale = 1e-300  # keeps the log finite at f*, without flattening a loss that converges to 1e-50
        log_loss = np.log(np.maximum(loss - target, 0) + scale) if np.isfinite(target) else loss
        window = min(len(lr), max(5, steps // 50))
        smoothed = np.convolve(log_loss, np.ones(window) / window, mode="valid")
        best = int(np.argmin(smoothed)) + (window - 1) // 2
        at_minimum = float(lr[best])
    suggested = at_minimum / 2
    return {"lr": lr, "loss": loss, "status": result.status, "stopped_at": result.stopped_at,
            "suggestion": {"max_lr": suggested, "base_lr": suggested / 4, "one_cycle_max_lr": suggested,
                           "lowest_loss_lr": at_minimum, "at_step": best}}


def seed_bands(scene: Mapping[str, Any], run: int, seeds: int) -> dict:
    """Run `run` once per seed 0..seeds−1 (its noise level kept): mean and spread of the loss at every step (over
    the seeds still running) and every seed's path."""
    from ..contract.scene import normalise

    base = scene["runs"][run]
    runs = [{**base, "noise": {"std": base["noise"]["std"], "seed": seed}, "label": f"seed {seed}"}
            for seed in range(seeds)]
    results = run_scene(normalise({**scene, "runs": runs, "preset": None}))
    length = scene["steps"] + 1
    losses = np.full((seeds, length), np.nan)
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
