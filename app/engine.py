"""Scene in, trajectories out: one call computes every run of a normalised scene.

The scene is the plain dict that `app.scene.Scene` produces (defaults filled, limits checked); this module knows
nothing of HTTP or pydantic. Steps:

1. The learning-rate table (runs x steps) is computed once from the schedules (`app.schedules.table`), outside
   the trajectory loop; the kernels consume exactly that table, times the plateau scale where there is one, and
   the result reports the rate each update used.
2. Runs are grouped by compiled kernel (optimizer ids); each group is one `init` and one or more `advance` calls
   over arrays padded to a step bucket and a run bucket.
3. Records are cut where each run stopped and summarised.

Example:
    >>> scene = {"landscape": {"id": "quadratic", "params": {"kappa": 10.0, "theta": 0.0}}, "steps": 3,
    ...          "tolerance": 1e-3,
    ...          "runs": [{"optimizer": {"id": "sgd", "params": {}},
    ...                    "schedule": {"id": "constant", "params": {"lr": 0.1}},
    ...                    "start": [1.0, 1.0], "clip_norm": None, "noise": {"std": 0.0, "seed": 0},
    ...                    "plateau": None}]}
    >>> result = run_scene(scene)[0]
    >>> [round(v, 4) for v in result.x], result.status
    ([1.0, 0.9, 0.81, 0.729], 'ok')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np

from landscapes import LANDSCAPES
from landscapes.params import resolve_params

from . import kernels, plateau
from .optimizers import flat_hyperparams, kernel_key
from .schedules.table import bucket, learning_rate_tables
from .summary import summarise

RECORD_FIELDS = ("x", "y", "loss", "lr", "grad_norm", "step_norm")
STATUS = {0: "ok", kernels.DIVERGED: "diverged", kernels.ESCAPED: "escaped"}
CHUNK_STEPS = 2048  # steps per streamed chunk


@dataclass
class RunResult:
    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    step_norm: np.ndarray
    status: str = "ok"
    stopped_at: int | None = None
    summary: dict = field(default_factory=dict)
    fast_x: np.ndarray | None = None
    fast_y: np.ndarray | None = None

    def as_dict(self) -> dict:
        """The contract's run result (numpy arrays; orjson writes them with OPT_SERIALIZE_NUMPY)."""
        out = {name: getattr(self, name) for name in RECORD_FIELDS}
        if self.fast_x is not None:
            out["fast_x"], out["fast_y"] = self.fast_x, self.fast_y
        out.update(status=self.status, stopped_at=self.stopped_at, summary=self.summary)
        return out


def plateau_of(run: Mapping[str, Any]) -> dict:
    """The plateau options of a run: from the `plateau` schedule, the per-run `plateau` field, or off."""
    schedule = run["schedule"]
    if schedule["id"] == "plateau":
        p = schedule["params"]
        options = {k: p[k] for k in ("factor", "patience", "rtol", "atol", "cooldown", "accumulation_size",
                                     "convention")}
        return {**options, "enabled": True, "min_scale": p["min_lr"] / p["lr"]}
    if run.get("plateau"):
        return {**run["plateau"], "enabled": True}
    return dict(plateau.DISABLED)


class Plan:
    """A scene turned into arrays: the LR table and the kernel groups."""

    def __init__(self, scene: Mapping[str, Any]):
        self.scene = scene
        self.landscape = LANDSCAPES[scene["landscape"]["id"]]
        self.landscape_params = resolve_params(self.landscape.params, scene["landscape"]["params"], steps=None)
        self.landscape_values = np.asarray([self.landscape_params[p.name] for p in self.landscape.params],
                                           dtype=np.float64)
        self.steps = int(scene["steps"])
        runs = scene["runs"]
        self.learning_rates = learning_rate_tables(
            [(run["schedule"]["id"], run["schedule"]["params"]) for run in runs], self.steps)
        self.groups: dict[tuple, list[int]] = {}  # (optimizer ids, plateau on) -> run indices
        for i, run in enumerate(runs):
            key = (kernel_key(run["optimizer"]["id"], run["optimizer"]["params"]), plateau_of(run)["enabled"])
            self.groups.setdefault(key, []).append(i)

    def group_arrays(self, indices: list[int]) -> tuple[int, np.ndarray, kernels.RunInputs, np.ndarray, np.ndarray]:
        """Padded per-run arrays of one group: (run bucket, starts, inputs, seeds, noise stds)."""
        runs = [self.scene["runs"][i] for i in indices]
        size = 1 << max(0, (len(runs) - 1).bit_length())
        padded = runs + [runs[0]] * (size - len(runs))
        hyper_rows = [flat_hyperparams(r["optimizer"]["id"], r["optimizer"]["params"]) for r in padded]
        hyper = {name: np.asarray([row[name] for row in hyper_rows], np.float64) for name in hyper_rows[0]}
        options = [plateau_of(r) for r in padded]
        plateau_options = _plateau_arrays(options)
        inputs = kernels.RunInputs(
            hyper=hyper,
            clip=np.asarray([math.inf if r["clip_norm"] is None else r["clip_norm"] for r in padded], np.float64),
            noise_std=np.asarray([r["noise"]["std"] for r in padded], np.float64),
            plateau=plateau_options,
        )
        starts = np.asarray([r["start"] for r in padded], np.float64)
        seeds = np.asarray([r["noise"]["seed"] for r in padded], np.uint32)
        stds = np.asarray([r["noise"]["std"] for r in padded])
        return size, starts, inputs, seeds, stds


def _plateau_arrays(options: list[dict]) -> plateau.PlateauOptions:
    columns = {name: [] for name in plateau.PlateauOptions._fields}
    for o in options:
        for name in columns:
            value = (o["convention"] == "torch") if name == "torch" else o[name]
            columns[name].append(float(value))
    return plateau.PlateauOptions(**{name: np.asarray(v, np.float64) for name, v in columns.items()})


def _chunk_inputs(plan: Plan, indices: list[int], size: int, seeds, stds, start: int, length: int):
    """The LR and noise slices of steps [start, start + length) for one group, padded with zeros."""
    lr = np.zeros((size, length))
    stop = min(start + length, plan.steps)
    if stop > start:
        lr[:len(indices), :stop - start] = plan.learning_rates[indices, start:stop]
    if np.any(stds > 0):
        noise = kernels.noise_kernel(length, size)(seeds, np.uint32(start))
    else:
        noise = np.zeros((size, length, 2))
    return lr, noise


def _group_chunks(plan: Plan, group: tuple, indices: list[int], chunk_steps: int | None):
    """Yield (start, records as numpy (runs, length), final carry) for each chunk of one group."""
    key, with_plateau = group
    size, starts, inputs, seeds, stds = plan.group_arrays(indices)
    total = plan.steps + 1  # records 0..N: the last one only reports θ_N
    length = chunk_steps or bucket(total)
    carry = kernels.init_kernel(key, size)(starts, inputs.hyper)
    advance = kernels.advance_kernel(plan.landscape, key, with_plateau, length, size)
    for start in range(0, total, length):
        lr, noise = _chunk_inputs(plan, indices, size, seeds, stds, start, length)
        carry, records = advance(plan.landscape_values, carry, inputs, lr, noise)
        yield start, {name: np.asarray(value) for name, value in records.items()}, carry


def _cut(records: dict, row: int, lo: int, hi: int) -> dict:
    """Records of one run for steps [lo, hi): iterates and losses, and the updates among them."""
    return {name: values[row, lo:hi] for name, values in records.items()}


def run_scene(scene: Mapping[str, Any]) -> list[RunResult]:
    """Every run of a normalised scene, in scene order."""
    plan = Plan(scene)
    results: list[RunResult | None] = [None] * len(scene["runs"])
    for key, indices in plan.groups.items():
        chunks = list(_group_chunks(plan, key, indices, None))
        (_, records, carry), = chunks
        stop_steps, stop_codes = np.asarray(carry.stop_step), np.asarray(carry.stop_code)
        for row, index in enumerate(indices):
            results[index] = _result(plan, index, _cut(records, row, 0, plan.steps + 1),
                                     int(stop_steps[row]), int(stop_codes[row]))
    return results


def _result(plan: Plan, index: int, records: dict, stop_step: int, stop_code: int) -> RunResult:
    """Cut the records of one run (steps 0..N) where it stopped, and summarise."""
    iterates = plan.steps + 1 if stop_step < 0 else stop_step
    updates = iterates - 1
    fields = {name: records[name][:iterates] for name in ("x", "y", "loss")}
    fields.update({name: records[name][:updates] for name in ("lr", "grad_norm", "step_norm")})
    result = RunResult(**fields, status=STATUS[stop_code if stop_step >= 0 else 0],
                       stopped_at=None if stop_step < 0 else stop_step)
    if "fast_x" in records:
        result.fast_x, result.fast_y = records["fast_x"][:iterates], records["fast_y"][:iterates]
    result.summary = summarise(plan.landscape, plan.landscape_params, result.x, result.y, result.loss,
                               plan.scene.get("tolerance", 1e-3))
    return result


def stream_scene(scene: Mapping[str, Any], chunk_steps: int = CHUNK_STEPS) -> Iterator[dict]:
    """Events for a stream: {"event": "chunk", "run", "start_step", arrays...} as slices are computed, then one
    {"event": "done", "runs": [{status, stopped_at, summary}]}. The numbers equal `run_scene`'s bit for bit.

    A chunk holds iterates `start_step ..` and the updates that start at them; chunks of a run stop after the
    step where it stopped.
    """
    plan = Plan(scene)
    finals: dict[int, RunResult] = {}
    for key, indices in plan.groups.items():
        collected = {i: [] for i in indices}
        for start, records, carry in _group_chunks(plan, key, indices, chunk_steps):
            stop_steps = np.asarray(carry.stop_step)
            length = next(iter(records.values())).shape[1]
            for row, index in enumerate(indices):
                end = plan.steps + 1 if stop_steps[row] < 0 else int(stop_steps[row])
                hi = min(start + length, end)
                if hi <= start:
                    continue
                piece = _cut(records, row, 0, hi - start)
                collected[index].append(piece)
                event = {"event": "chunk", "run": index, "start_step": start}
                for name in piece:
                    if name in ("lr", "grad_norm", "step_norm"):
                        event[name] = piece[name][:max(0, min(hi, end - 1) - start)]
                    else:
                        event[name] = piece[name]
                yield event
        stop_codes = np.asarray(carry.stop_code)
        for row, index in enumerate(indices):
            merged = {name: np.concatenate([p[name] for p in collected[index]]) for name in collected[index][0]}
            finals[index] = _result(plan, index, merged, int(stop_steps[row]), int(stop_codes[row]))
    yield {"event": "done", "runs": [{"status": finals[i].status, "stopped_at": finals[i].stopped_at,
                                      "summary": finals[i].summary} for i in range(len(scene["runs"]))]}
