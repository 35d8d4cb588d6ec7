"""A plan in, trajectories out: one call computes every run of a resolved plan, whole or in chunks.

The plan (`app.engine.plan.Plan`) comes resolved from the contract layer; this module knows nothing of HTTP,
pydantic or parsing. Steps:

1. The learning-rate table (runs x steps) was computed once from the schedules, outside the trajectory loop; the
   kernels consume exactly that table, times the plateau scale where there is one, and the result reports the
   rate each update used.
2. Runs are grouped by compiled kernel (optimizer ids, plateau or not) and hyperparameters; each group is one
   `init` and one or more `advance` calls over arrays padded to a step bucket and a run bucket.
3. Where each run stopped, its best loss and first step within tolerance are computed on the device
   (`kernels.ends_kernel`); the records are cut there and summarised.
4. A plan with `internals` takes the kernels built with them, and each run (each stream chunk) also carries
   `internals`: {"gradient": (N, 2), "update": (N, 2), "state": {field: (N, 2)}}, one row per update, cut as `lr`.

Example:
    >>> import numpy as np
    >>> from landscapes import LANDSCAPES
    >>> from app.engine.plan import Plan, RunPlan
    >>> run = RunPlan(label="SGD", optimizer_id="sgd", optimizer_params={}, schedule_id="constant",
    ...               schedule_params={"lr": 0.1}, start=(1.0, 1.0))
    >>> quadratic = LANDSCAPES["quadratic"]
    >>> plan = Plan(quadratic, {"kappa": 10.0, "theta": 0.0}, quadratic.minima(), steps=3, tolerance=1e-3,
    ...             learning_rates=np.full((1, 3), 0.1), runs=(run,))
    >>> result = run_plan(plan)[0]
    >>> [round(float(v), 4) for v in result.x], result.status
    ([1.0, 0.9, 0.81, 0.729], 'ok')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

import numpy as np

from ..optimizers.plateau import PlateauOptions
from ..vocabulary.compile_once import bucket
from . import kernels
from .plan import Plan, RunPlan
from .stop import STATUS, first_stops, run_ends
from .summary import nearest_minima, summary_of

RECORD_FIELDS = ("x", "y", "loss", "lr", "grad_norm", "step_norm")
CHUNK_STEPS = 2048  # steps per streamed chunk
MIN_CHUNK_STEPS = 2  # a chunk of one step is no loop, and would round otherwise (`stream_plan`)
# A single run compiles to scalar code whose rounding (FMA contraction) differs in the last bit from the
# vectorised code of 2 or more runs; with at least 2 lanes a run has the same path in any company. (Groups of
# 2-16 and of 17-64 runs are compiled otherwise again: their norms agree (`step.norm2`), but on peaks the loss
# record can differ in its last bit between the two.)
MIN_RUN_BUCKET = 2


@dataclass
class Trajectory:
    """One computed run: arrays indexed by step, cut where it stopped (the contract's run result)."""

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
    internals: dict | None = None  # asked for: {"gradient", "update": (N, 2), "state": {field: (N, 2)}}

    def as_dict(self) -> dict:
        """The contract's run result (numpy arrays; orjson writes them with OPT_SERIALIZE_NUMPY)."""
        out = {name: getattr(self, name) for name in RECORD_FIELDS}
        if self.fast_x is not None:
            out["fast_x"], out["fast_y"] = self.fast_x, self.fast_y
        if self.internals is not None:
            out["internals"] = self.internals
        out.update(status=self.status, stopped_at=self.stopped_at, summary=self.summary)
        return out


class GroupArrays(NamedTuple):
    """The padded per-run arrays of one kernel group."""

    size: int  # the run bucket
    starts: np.ndarray  # (size, 2)
    inputs: kernels.RunInputs
    seeds: np.ndarray  # (size,) uint32
    stds: np.ndarray  # (size,)


def groups(plan: Plan) -> dict[tuple, list[int]]:
    """(optimizer ids, plateau on, hyperparameters) -> run indices. Runs with and without plateau share a compiled
    kernel but not a group: a run without plateau always takes the loop without it, whoever else is in the scene.
    A group's runs share their hyperparameters, which enter its kernel as scalars (`kernels.state_axes`); runs
    that differ there are computed by the same program in calls of their own. Measured (benchmarks/engine.py, Adam
    + cosine on Rosenbrock, 1000 steps): 8 runs each with its own β1 take 8 calls, 4.7 ms against 1.3 ms for the
    same runs sharing β1; one call with per-run hyperparameters took 1.5 ms, but would be a program of its own
    (compiled on the first drag of a β slider in a scene with two such runs) and made the common case slower
    (64 runs sharing β1, the kernel alone: 2.0 -> 3.2 ms, a power per run and step; measured with the loop
    compiled whole, before noise and clipping were skipped: the table in `kernels`)."""
    out: dict[tuple, list[int]] = {}
    for i, run in enumerate(plan.runs):
        out.setdefault((run.kernel_key, run.plateau is not None, run.hyperparameter_bits), []).append(i)
    return out


def group_arrays(plan: Plan, indices: list[int]) -> GroupArrays:
    """Padded per-run arrays of one group (padding repeats its first run)."""
    runs = [plan.runs[i] for i in indices]
    size = max(MIN_RUN_BUCKET, 1 << max(0, (len(runs) - 1).bit_length()))
    padded = runs + [runs[0]] * (size - len(runs))
    hyper = {name: np.float64(value) for name, value in runs[0].hyperparameters.items()}  # the group's
    inputs = kernels.RunInputs(
        hyper=hyper,
        clip=np.asarray([math.inf if r.clip_norm is None else r.clip_norm for r in padded], np.float64),
        noise_std=np.asarray([r.noise_std for r in padded], np.float64),
        plateau=_plateau_arrays(padded),
    )
    starts = np.asarray([r.start for r in padded], np.float64)
    seeds = np.asarray([r.noise_seed for r in padded], np.uint32)
    stds = np.asarray([r.noise_std for r in padded])
    return GroupArrays(size, starts, inputs, seeds, stds)


def _plateau_arrays(runs: list[RunPlan]) -> PlateauOptions:
    if runs[0].plateau is None:  # a group without plateau: its loop never reads them
        return PlateauOptions(*(np.zeros(len(runs)) for _ in PlateauOptions._fields))
    columns = {name: [] for name in PlateauOptions._fields}
    for run in runs:
        for name in columns:
            value = (run.plateau["convention"] == "torch") if name == "torch" else run.plateau[name]
            columns[name].append(float(value))
    return PlateauOptions(**{name: np.asarray(v, np.float64) for name, v in columns.items()})


def _chunk_inputs(plan: Plan, indices: list[int], size: int, seeds, stds, start: int, length: int):
    """The LR (runs, length) and noise (length, runs, 2) of steps [start, start + length) for one group, padded
    with zeros."""
    lr = np.zeros((size, length))
    stop = min(start + length, plan.steps)
    if stop > start:
        lr[:len(indices), :stop - start] = plan.learning_rates[indices, start:stop]
    if np.any(stds > 0):
        noise = np.zeros((length, size, 2))
        for row in np.flatnonzero(stds > 0):
            noise[:, row] = kernels.noise_kernel(length)(seeds[row], np.uint32(start))
    else:
        noise = kernels.zero_noise(size, length)
    return lr, noise


def _group_chunks(plan: Plan, group: tuple, indices: list[int], chunk_steps: int | None):
    """Yield (start, records, tail) per chunk of one group: device arrays (runs, length) and (runs,)."""
    key, with_plateau, _ = group
    size, starts, inputs, seeds, stds = group_arrays(plan, indices)
    total = plan.steps + 1  # records 0..N: the last one only reports θ_N
    length = chunk_steps or bucket(total)
    carry = kernels.init_kernel(key, size)(starts, inputs.hyper)
    advance = kernels.advance_kernel(plan.landscape, key, length, size, plan.internals)
    use_plateau = np.asarray(with_plateau)
    for start in range(0, total, length):
        lr, noise = _chunk_inputs(plan, indices, size, seeds, stds, start, length)
        carry, records, tail = advance(plan.landscape_values, carry, inputs, lr, noise, use_plateau)
        yield start, records, tail


def _host(arrays: dict) -> dict:
    return {name: np.asarray(value) for name, value in arrays.items()}


def _row(arrays: dict, row: int) -> dict:
    return {name: values[row] for name, values in arrays.items()}


def run_plan(plan: Plan) -> list[Trajectory]:
    """Every run of a plan, in scene order."""
    results: list[Trajectory | None] = [None] * len(plan.runs)
    target = np.float64(np.nan if plan.target is None else plan.target)
    for group, indices in groups(plan).items():
        (_, records, _), = _group_chunks(plan, group, indices, None)
        size, length = records["x"].shape
        ends = kernels.ends_kernel(plan.landscape, length, size)(records, np.int64(plan.steps + 1), target,
                                                                 np.float64(plan.tolerance))
        records, ends = _host(records), [np.asarray(v)[:len(indices)] for v in ends]
        for row, (index, result) in enumerate(zip(indices, _results(plan, records, *ends))):
            results[index] = result
    return results


def _results(plan: Plan, records: dict, stop, code, best, reached) -> list[Trajectory]:
    """Cut each run's records (rows; column k is step k) where it stopped, and summarise; the other arguments are
    `run_ends`'s, one value per run."""
    iterates = np.where(stop < 0, plan.steps + 1, stop)
    rows, last = np.arange(len(stop)), iterates - 1
    nearest = nearest_minima(plan.minima, records["x"][rows, last], records["y"][rows, last])
    final_losses = records["loss"][rows, last].tolist()
    by_row = {name: list(values) for name, values in records.items()}  # each run's row, a view
    out = []
    ends = zip(iterates.tolist(), *(np.asarray(values).tolist() for values in (stop, code, best, reached)))
    for row, (n, stop_k, code_k, best_loss, reached_k) in enumerate(ends):  # Python numbers: no numpy scalars
        result = Trajectory(x=by_row["x"][row][:n], y=by_row["y"][row][:n], loss=by_row["loss"][row][:n],
                            lr=by_row["lr"][row][:n - 1], grad_norm=by_row["grad_norm"][row][:n - 1],
                            step_norm=by_row["step_norm"][row][:n - 1], status=STATUS[code_k],
                            stopped_at=None if stop_k < 0 else stop_k)
        if "fast_x" in records:
            result.fast_x, result.fast_y = by_row["fast_x"][row][:n], by_row["fast_y"][row][:n]
        if plan.internals:
            result.internals = nested_internals({name: values[row][:n - 1] for name, values in by_row.items()
                                                 if name.startswith(kernels.INTERNAL_PREFIX)})
        result.summary = summary_of(plan.minima, final_losses[row], best_loss, None if reached_k < 0 else reached_k,
                                    plan.tolerance, nearest[row])
        out.append(result)
    return out


def nested_internals(records: dict) -> dict:
    """The kernel's flat internals records ("internals.gradient", "internals.state.mu", ...) as the contract's
    {"gradient", "update", "state": {"mu", ...}}; other records are left out."""
    out = {"gradient": None, "update": None, "state": {}}
    for name, values in records.items():
        if name.startswith(kernels.INTERNAL_PREFIX):
            inner = name[len(kernels.INTERNAL_PREFIX):]
            if inner.startswith("state."):
                out["state"][inner[len("state."):]] = values
            else:
                out[inner] = values
    return out


ITERATE_FIELDS = ("x", "y", "loss", "fast_x", "fast_y")


def stream_plan(plan: Plan, chunk_steps: int = CHUNK_STEPS) -> Iterator[dict]:
    """Events for a stream: {"event": "chunk", "run", "start_step", arrays...} as slices are computed, then one
    {"event": "done", "runs": [{status, stopped_at, summary}]}. The numbers equal `run_plan`'s bit for bit.

    A chunk holds the iterates start_step.. (x, y, loss) and the updates that start at them (lr, grad_norm,
    step_norm, and `internals` when the plan asks); a run's chunks end where it stopped, so the last update of a
    stopped run is not sent. `chunk_steps` is at least MIN_CHUNK_STEPS: XLA removes a loop of one step and
    compiles its body with the program's other operations, which rounds otherwise than the loop.
    """
    if chunk_steps < MIN_CHUNK_STEPS:
        raise ValueError(f"chunk_steps must be at least {MIN_CHUNK_STEPS}, got {chunk_steps}")
    finals: dict[int, Trajectory] = {}
    for group, indices in groups(plan).items():
        collected = {i: [] for i in indices}
        ended = set()
        for start, records, tail in _group_chunks(plan, group, indices, chunk_steps):
            records, tail = _host(records), _host(tail)
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
                if stop is not None and stop < start + count:  # a stop at the tail: the next chunk holds it
                    ended.add(index)
                if iterates <= 0:
                    continue
                event = {"event": "chunk", "run": index, "start_step": start}
                for name, values in piece.items():
                    if not name.startswith(kernels.INTERNAL_PREFIX):
                        event[name] = values[:iterates] if name in ITERATE_FIELDS else values[:max(0, updates)]
                if plan.internals:
                    event["internals"] = nested_internals({name: values[:max(0, updates)]
                                                           for name, values in piece.items()})
                yield event
        for index in indices:
            merged = {name: np.concatenate([p[name] for p in collected[index]])[None] for name in collected[index][0]}
            target = np.nan if plan.target is None else plan.target
            with np.errstate(invalid="ignore"):
                ends = run_ends(plan.landscape, merged, plan.steps + 1, target, plan.tolerance)
            finals[index], = _results(plan, merged, *ends)
    yield {"event": "done", "runs": [{"status": finals[i].status, "stopped_at": finals[i].stopped_at,
                                      "summary": finals[i].summary} for i in range(len(plan.runs))]}
