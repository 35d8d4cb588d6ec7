"""One run of a plan as the cells of a grid (basin maps, sweeps): its compiled kernel's key, plateau flag, inputs,
learning rates and noise, taken from the engine's own arrays, so a cell equals the run it stands for (to rounding:
the grid kernel's layout contracts multiply-adds otherwise). And the grids' conventions: −1 from the kernel
("never", "did not stop") is None (null in JSON).

Example:
    >>> from landscapes import LANDSCAPES
    >>> from app.engine.plan import RunPlan
    >>> run = RunPlan("SGD", "sgd", {}, "constant", {"lr": 0.1}, start=(0.0, 0.0))
    >>> plan = Plan(LANDSCAPES["booth"], {}, (), steps=4, tolerance=1e-3, learning_rates=np.full((1, 4), 0.1),
    ...             runs=(run,))
    >>> cell = one_cell(plan, 0)
    >>> cell.key, cell.use_plateau, cell.noise.shape, float(tiled(cell.inputs, 3).clip[2])
    (('sgd',), False, (4, 2), inf)
    >>> steps_or_null(np.array([3, -1]), (1, 2))
    [[3, None]]
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np

from ..engine.grid import run_grid
from ..engine.kernels import RunInputs, noise_table
from ..engine.plan import Plan
from ..engine.stop import DIVERGED, ESCAPED
from ..engine.trajectories import group_arrays


class Cell(NamedTuple):
    key: tuple  # the kernel key (optimizer ids)
    use_plateau: bool
    inputs: RunInputs  # one run's: scalars
    learning_rates: np.ndarray  # (steps,)
    noise: np.ndarray  # (steps, 2)


def one_cell(plan: Plan, index: int) -> Cell:
    """Run `index` of the plan as one cell."""
    run = plan.runs[index]
    inputs = jax.tree.map(lambda column: column[0] if np.ndim(column) else column,  # the engine's arrays, row 0
                          group_arrays(plan, [index]).inputs)
    noise = noise_table(run.noise_seed, plan.steps) if run.noise_std > 0 else np.zeros((plan.steps, 2))
    return Cell(run.kernel_key, run.plateau is not None, inputs, plan.learning_rates[index], noise)


def tiled(inputs: RunInputs, cells: int) -> RunInputs:
    """One run's inputs repeated over `cells` cells (each leaf a float64 array of length cells)."""
    return jax.tree.map(lambda v: np.full(cells, v, dtype=np.float64), inputs)


def final_states(plan: Plan, cell: Cell, starts: np.ndarray, inputs: RunInputs | None = None,
                 limits: np.ndarray | None = None, lr: np.ndarray | None = None) -> dict[str, Any]:
    """The grid kernel over cells of `cell` (defaults: its own inputs, the plan's steps, its learning rates)."""
    cells = len(starts)
    target = plan.target if plan.target is not None else -np.inf
    return run_grid(plan.landscape, plan.landscape_values, cell.key, plan.steps, starts,
                    inputs if inputs is not None else tiled(cell.inputs, cells),
                    limits if limits is not None else np.full(cells, float(plan.steps)),
                    lr if lr is not None else cell.learning_rates, cell.noise, cell.use_plateau, target,
                    plan.tolerance)


def steps_or_null(steps: np.ndarray, shape: tuple) -> list:
    """A grid of step numbers as nested lists, with the kernel's −1 ("never", "not stopped") as None (null)."""
    return [[None if k < 0 else k for k in row] for row in steps.reshape(shape).tolist()]


def statuses(out: dict) -> np.ndarray:
    return np.where(out["stop_code"] == DIVERGED, "diverged", np.where(out["stop_code"] == ESCAPED, "escaped", "ok"))
