"""The learning-rate table: η(k) for every run and step, computed once, outside the trajectory loop.

All schedules are branches of one compiled function (`lax.switch` on the schedule's index, `lax.map` over
rows), so neither a new schedule id nor a new parameter value compiles anything: only a new step bucket or row
bucket does. A `sequence` becomes one row per part, evaluated on the part's own step counter and stitched.

Example:
    >>> from app.schedules import learning_rate_tables
    >>> table = learning_rate_tables([("step", {"lr": 0.1, "step_size": 2, "gamma": 0.5})], steps=5)
    >>> table.tolist()
    [[0.1, 0.1, 0.05, 0.05, 0.025]]
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..vocabulary.compile_once import bucket, kernel_cache
from ..vocabulary.params import Param

from .registry import SCHEDULES
from .typed import rates as typed_rates

ORDER = tuple(s for s in SCHEDULES.values() if s.fn is not None)  # expression and sequence are apart
INDEX = {s.id: i for i, s in enumerate(ORDER)}


def _slots(param: Param) -> int:
    return param.max_length + 1 if param.kind.endswith("_list") else 1


WIDTH = max(sum(_slots(p) for p in s.params) for s in ORDER)


def pack(schedule_id: str, values: Mapping[str, Any]) -> tuple[float, ...]:
    """One schedule's resolved parameters as a fixed-width tuple of floats (lists padded, then their length): a
    tuple, so identical rows are found by hashing it; an array only for the distinct ones.

    >>> pack("step", {"lr": 0.1, "step_size": 2, "gamma": 0.5})[:3]
    (0.1, 2.0, 0.5)
    """
    vector = [0.0] * WIDTH
    for name, kind, offset, max_length, choices in _layout(schedule_id):
        value = values[name]
        if max_length is not None:
            items = list(value or [])
            vector[offset:offset + max_length] = [math.inf if kind == "int_list" else 1.0] * max_length
            vector[offset:offset + len(items)] = [float(item) for item in items]
            vector[offset + max_length] = float(len(items))
        elif choices is not None:
            vector[offset] = float(choices.index(value))
        else:
            vector[offset] = math.nan if value is None else float(value)
    return tuple(vector)


@lru_cache(maxsize=None)
def _layout(schedule_id: str) -> tuple:
    """(name, kind, offset, list length or None, choices or None) of each parameter of a schedule's vector."""
    out, offset = [], 0
    for param in SCHEDULES[schedule_id].params:
        listed = param.kind.endswith("_list")
        out.append((param.name, param.kind, offset, param.max_length if listed else None,
                    tuple(param.choices) if param.kind == "choice" else None))
        offset += _slots(param)
    return tuple(out)


def _unpack(schedule, vector) -> dict:
    values, offset = {}, 0
    for param in schedule.params:
        if param.kind.endswith("_list"):
            values[param.name] = vector[offset:offset + param.max_length]
            values[param.name + "__len"] = vector[offset + param.max_length]
        else:
            values[param.name] = vector[offset]
        offset += _slots(param)
    return values


def _branch(schedule):
    return lambda vector, duration, k: schedule.fn(k, _unpack(schedule, vector), duration).astype(jnp.float64)


@kernel_cache(maxsize=32)
def _table_kernel(length: int):
    branches = [_branch(s) for s in ORDER]

    def table(indices, vectors, durations):
        k = jnp.arange(length, dtype=jnp.float64)  # inside the kernel: an eager op would compile on its own
        return jax.lax.map(lambda args: jax.lax.switch(args[0], branches, args[1], args[2], k),
                           (indices, vectors, durations))

    return jax.jit(table)


MIN_ROWS = 16  # sequences add rows: a few more must not compile a new table kernel


@kernel_cache(maxsize=64)
def _expression_kernel(f: str, length: int):
    def rows(lr, duration):
        k = jnp.arange(length, dtype=jnp.float64)
        return jax.vmap(lambda lr_i, duration_i: typed_rates(f, k, duration_i, lr_i))(lr, duration)

    return jax.jit(rows)


def _rows(schedule_id: str, values: Mapping[str, Any], start: int, length: int, rows: list):
    if schedule_id == "sequence":
        offset = start
        parts = values["parts"]
        for i, part in enumerate(parts):
            part_length = length - (offset - start) if i == len(parts) - 1 else part["steps"]
            part_length = min(part_length, start + length - offset)
            if part_length <= 0:
                break
            _rows(part["schedule"]["id"], part["schedule"]["params"], offset, part_length, rows)
            offset += part_length
    elif schedule_id == "expression":
        rows.append((("expression", values["f"], float(values["lr"])), None, start, length))
    else:
        rows.append((INDEX[schedule_id], pack(schedule_id, values), start, length))


def learning_rate_tables(schedules: Sequence[tuple[str, Mapping[str, Any]]], steps: int,
                         length: int | None = None) -> np.ndarray:
    """η(k) for k = 0..steps−1 of each (schedule id, resolved params): an array (len(schedules), steps).

    `length` (≥ steps) is the compiled step bucket; by default `bucket(steps)`. Values are as computed in
    float64 by the compiled formulas; nothing evaluates them a second time.
    """
    length = length or bucket(steps)
    rows: list = []
    owners = []
    for run, (schedule_id, values) in enumerate(schedules):
        before = len(rows)
        _rows(schedule_id, values, 0, steps, rows)
        owners += [run] * (len(rows) - before)
    table = np.zeros((len(schedules), steps))
    # expression rows: one compiled kernel per distinct expression
    for (index, _, start, duration), run in zip(rows, owners):
        if isinstance(index, tuple):
            _, f, lr = index
            values = np.asarray(_expression_kernel(f, length)(np.asarray([lr]), np.asarray([float(duration)])))[0]
            table[run, start:start + duration] = values[:duration]
    kept = [(row, run) for row, run in zip(rows, owners) if not isinstance(row[0], tuple)]
    rows, owners = [row for row, _ in kept], [run for _, run in kept]
    if not rows:
        return table
    # identical rows (runs that share a schedule, as in most comparisons) are computed once
    distinct: dict[tuple, int] = {}
    slot_of = [distinct.setdefault((index, vector, duration), len(distinct)) for index, vector, _, duration in rows]
    count = max(MIN_ROWS, 1 << max(0, (len(distinct) - 1).bit_length()))  # row bucket: a power of two
    indices = np.zeros(count, dtype=np.int32)
    vectors = np.zeros((count, WIDTH))
    durations = np.ones(count)
    for (index, vector, duration), slot in distinct.items():
        indices[slot], vectors[slot], durations[slot] = index, vector, duration
    values = np.asarray(_table_kernel(length)(indices, vectors, durations))
    if owners == list(range(len(schedules))) and all(start == 0 and duration == steps
                                                     for _, _, start, duration in rows):
        return values[slot_of, :steps]  # one whole row per run, none typed: one gather
    for (_, _, start, duration), run, slot in zip(rows, owners, slot_of):
        table[run, start:start + duration] = values[slot, :duration]
    return table
