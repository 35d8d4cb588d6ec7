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
    >>> [round(float(v), 4) for v in result.x], result.status
    ([1.0, 0.9, 0.81, 0.729], 'ok')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np

from landscapes import minima
from ..vocabulary.params import resolve_params

from . import kernels
from ..optimizers import plateau
from landscapes import LANDSCAPES
from landscapes.typed import resolve_typed
from ..optimizers import flat_hyperparams, kernel_key
from ..schedules.table import bucket, learning_rate_tables
from .stop import first_stops
from .summary import summarise

RECORD_FIELDS = ("x", "y", "loss", "lr", "grad_norm", "step_norm")
CHUNK_STEPS = 2048  # steps per streamed chunk
# A single run compiles to scalar code whose rounding (FMA contraction) differs in the last bit from the
# vectorised code of 2 or more runs; with at least 2 lanes a run has the same numbers in any company.
MIN_RUN_BUCKET = 2


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


def plateau_of(run: Mapping[str, Any]) -> dict | None:
    """The plateau options of a run: from the `plateau` schedule, the per-run `plateau` field, or None (off)."""
    schedule = run["schedule"]
    if schedule["id"] == "plateau":
        p = schedule["params"]
        options = {k: p[k] for k in ("factor", "patience", "rtol", "atol", "cooldown", "accumulation_size",
                                     "convention")}
        return {**options, "min_scale": p["min_lr"] / p["lr"]}
    return run.get("plateau") or None


class Plan:
    """A scene turned into arrays: the LR table and the kernel groups."""

    def __init__(self, scene: Mapping[str, Any]):
        self.scene = scene
        spec = scene["landscape"]
        self.landscape = LANDSCAPES[spec["id"]] if spec["id"] != "expression" else resolve_typed(spec["params"])[0]
        params = scene["landscape"]["params"]
        given = params.get("constants", {}) if scene["landscape"]["id"] == "expression" else params
        self.landscape_params = resolve_params(self.landscape.params, given, steps=None)
        self.minima = minima(self.landscape, self.landscape_params)
        self.landscape_values = np.asarray([self.landscape_params[p.name] for p in self.landscape.params],
                                           dtype=np.float64)
        self.steps = int(scene["steps"])
        runs = scene["runs"]
        self.learning_rates = learning_rate_tables(
            [(run["schedule"]["id"], run["schedule"]["params"]) for run in runs], self.steps)
        # (optimizer ids, plateau on) -> run indices. Runs with and without plateau share a compiled kernel but
        # not a group: a run without plateau always takes the loop without it, whoever else is in the scene.
        self.groups: dict[tuple, list[int]] = {}
        for i, run in enumerate(runs):
            key = (kernel_key(run["optimizer"]["id"], run["optimizer"]["params"]), plateau_of(run) is not None)
            self.groups.setdefault(key, []).append(i)

    def group_arrays(self, indices: list[int]) -> tuple[int, np.ndarray, kernels.RunInputs, np.ndarray, np.ndarray]:
        """Padded per-run arrays of one group: (run bucket, starts, inputs, seeds, noise stds)."""
        runs = [self.scene["runs"][i] for i in indices]
        size = max(MIN_RUN_BUCKET, 1 << max(0, (len(runs) - 1).bit_length()))
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
    if options[0] is None:  # a group without plateau: its loop never reads them
        return plateau.PlateauOptions(**{name: np.zeros(len(options)) for name in columns})
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
        noise = np.zeros((size, length, 2))
        for row in np.flatnonzero(stds > 0):
            noise[row] = kernels.noise_kernel(length)(seeds[row], np.uint32(start))
    else:
        noise = kernels.zero_noise(size, length)
    return lr, noise


def _group_chunks(plan: Plan, group: tuple, indices: list[int], chunk_steps: int | None):
    """Yield (start, records, tail) per chunk of one group: numpy arrays (runs, length) and (runs,)."""
    key, with_plateau = group
    size, starts, inputs, seeds, stds = plan.group_arrays(indices)
    total = plan.steps + 1  # records 0..N: the last one only reports θ_N
    length = chunk_steps or bucket(total)
    carry = kernels.init_kernel(key, size)(starts, inputs.hyper)
    advance = kernels.advance_kernel(plan.landscape, key, length, size)
    use_plateau = np.asarray(with_plateau)
    for start in range(0, total, length):
        lr, noise = _chunk_inputs(plan, indices, size, seeds, stds, start, length)
        carry, records, tail = advance(plan.landscape_values, carry, inputs, lr, noise, use_plateau)
        records = {name: np.asarray(value) for name, value in records.items()}
        yield start, records, {name: np.asarray(value) for name, value in tail.items()}


def _row(arrays: dict, row: int) -> dict:
    return {name: values[row] for name, values in arrays.items()}


def run_scene(scene: Mapping[str, Any]) -> list[RunResult]:
    """Every run of a normalised scene, in scene order."""
    plan = Plan(scene)
    results: list[RunResult | None] = [None] * len(scene["runs"])
    for group, indices in plan.groups.items():
        (_, records, _), = _group_chunks(plan, group, indices, None)
        records = {name: values[:len(indices), :plan.steps + 1] for name, values in records.items()}
        for row, (index, stop) in enumerate(zip(indices, first_stops(plan.landscape, records))):
            results[index] = _result(plan, _row(records, row), stop)
    return results


def _result(plan: Plan, records: dict, stop: tuple[int | None, str]) -> RunResult:
    """Cut the records of one run (steps 0..N) where it stopped, and summarise."""
    stopped_at, status = stop
    iterates = plan.steps + 1 if stopped_at is None else stopped_at
    fields = {name: records[name][:iterates] for name in ("x", "y", "loss")}
    fields.update({name: records[name][:iterates - 1] for name in ("lr", "grad_norm", "step_norm")})
    result = RunResult(**fields, status=status, stopped_at=stopped_at)
    if "fast_x" in records:
        result.fast_x, result.fast_y = records["fast_x"][:iterates], records["fast_y"][:iterates]
    result.summary = summarise(plan.minima, plan.landscape.infimum, result.x, result.y, result.loss,
                               plan.scene.get("tolerance", 1e-3))
    return result


ITERATE_FIELDS = ("x", "y", "loss", "fast_x", "fast_y")


def stream_scene(scene: Mapping[str, Any], chunk_steps: int = CHUNK_STEPS) -> Iterator[dict]:
    """Events for a stream: {"event": "chunk", "run", "start_step", arrays...} as slices are computed, then one
    {"event": "done", "runs": [{status, stopped_at, summary}]}. The numbers equal `run_scene`'s bit for bit.

    A chunk holds the iterates start_step.. (x, y, loss) and the updates that start at them (lr, grad_norm,
    step_norm); a run's chunks end where it stopped, so the last update of a stopped run is not sent.
    """
    plan = Plan(scene)
    finals: dict[int, RunResult] = {}
    for group, indices in plan.groups.items():
        collected = {i: [] for i in indices}
        ended = set()
        for start, records, tail in _group_chunks(plan, group, indices, chunk_steps):
            length = records["x"].shape[1]
            count = min(length, plan.steps + 1 - start)  # iterates of this chunk within 0..N
            # a stop inside this chunk, or at the first iterate of the next one (the tail)
            probe = {name: np.concatenate([values[:len(indices), :count], tail[name][:len(indices), None]], axis=1)
                     if name in tail else values[:len(indices), :count] for name, values in records.items()}
            if start + count > plan.steps:  # the last chunk: there is no next iterate
                probe = {name: values[:, :count] for name, values in probe.items()}
            for row, (index, (stop, _)) in enumerate(zip(indices, first_stops(plan.landscape, probe, start))):
                if index in ended:
                    continue
                piece = {name: values[row, :count] for name, values in records.items()}
                collected[index].append(piece)
                iterates = count if stop is None else min(count, stop - start)
                updates = min(iterates, plan.steps - start) if stop is None or stop > start + count \
                    else iterates - 1
                if stop is not None and stop <= start + count:
                    ended.add(index)
                if iterates <= 0:
                    continue
                event = {"event": "chunk", "run": index, "start_step": start}
                for name, values in piece.items():
                    event[name] = values[:iterates] if name in ITERATE_FIELDS else values[:max(0, updates)]
                yield event
        for index in indices:
            merged = {name: np.concatenate([p[name] for p in collected[index]])[None] for name in collected[index][0]}
            finals[index] = _result(plan, _row(merged, 0), first_stops(plan.landscape, merged)[0])
    yield {"event": "done", "runs": [{"status": finals[i].status, "stopped_at": finals[i].stopped_at,
                                      "summary": finals[i].summary} for i in range(len(scene["runs"]))]}
