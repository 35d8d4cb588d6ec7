"""Grids of trajectories in one compiled call: the final-point kernel behind basin maps and sweeps.

Every cell of a grid is one trajectory of the same run with some numbers changed (its start, a hyperparameter,
a schedule parameter, the clipping, the noise level or its length). The kernel takes the same steps as the run
kernel (`app.engine.step.trajectory_step`) and stops them by the same rule (`app.engine.stop.stop_codes`), but
keeps no per-step records, only what a grid shows: the final point and loss, the step where the run stopped and
why, and the first step within tolerance:

    stopped at the first k ≥ 1 whose iterate stops the run (diverged or escaped)
    reached = first k with f(θ_k) − f* ≤ tolerance

Cells are vectorised with vmap, in blocks of `block_size(cells)` cells (at most BLOCK on a CPU, ACCELERATOR_BLOCK on
a GPU): one compiled program per block size, called once per block, the blocks spread over every JAX device, one
thread per device (dispatch is synchronous: `app/__init__.py`), so with one CPU device per core
(`app.server.runtime.use_every_core`) every core computes. The blocks depend on the grid's size only, so any number
of devices computes the same blocks with the same program: the same numbers, bit for bit. (Before, one call sharded
a block over the devices; XLA then compiled a partitioned program, whose CSE ran before its first algebraic
simplification, which turned Adam's division of the moments by a shared 1 − β^t into a multiply by the reciprocal:
Adam basin maps differed in their last bits between 1 and 2 devices, seen in the optimized HLO. A 256² map and a 64²
map take the same time as then on 2 cores.) When every cell shares the run's hyperparameters, clipping and plateau
options (a basin map), they enter as scalars, not per-cell arrays: the same numbers, bit for bit (the noise level
stays a per-cell array: as a scalar, XLA rounds g + std·ξ differently). Together, on a 256² basin map of momentum on
peaks: 29 -> 22 ns of CPU per trajectory-step on one core. As in the run kernel, the loop is compiled with and
without reduce-on-plateau and `use_plateau` picks one.

A cell that stops moving (stopped, or past its own length) keeps its weights and the float fields of its state;
its integer fields (optax's step counts, lookahead's steps since a sync) go on counting. No output reads them
(the stop check, `reached` and the final point read the frozen weights), and a count that no per-cell value
touches stays one scalar for the whole block: with shared hyperparameters (a basin map) Adam's bias corrections
1 − β^t are two powers per step instead of two per cell. A float64 power costs about 9 ns
per element here: a 256² × 500 Adam basin map on peaks took 0.72 s, and takes 0.39 s. The numbers are those of
the per-cell counts bit for bit, except RAdam's, whose ρ_t is now computed by scalar code (rounding differences of
about 1e-15).

Layout and bookkeeping of the loop (issue 17): each cell's weights enter as a pair (x, y), not a (2,) array, so
under vmap each coordinate is one contiguous (cells,) array and every operation of a step runs across cells with
SIMD (the surfaces read p only as p[0], p[1]; every optimizer here is elementwise). The carried stop step, code
and first-reached step are int32 (returned as int64). A cell is frozen from the step after the iterate that
stopped it: `moving` reads the carried stop step, not this step's check, so XLA does not recompute the check
inside the loops that update the weights and the state; the stopped cell's final point is not kept and is
returned as NaN (basin maps and sweeps read x, y and loss only where stop_step is −1). Stop steps, codes and
reached steps are those of before; final points equal to rounding (XLA contracts multiply-adds differently in
the new layout; the cells still equal their runs as tested). On a 256² × 500 momentum basin map on peaks (2 CPU
devices, back to back with the former layout): 27.9 -> 21.5 ns of CPU, 0.49 -> 0.37 s. Since then the loop is
compiled as one function (`app/__init__.py`: 0.30 -> 0.28 s, and 1.7 -> 1.3 s to compile), and a block without
noise or clipping skips them (`RunInputs.gradient_work`): 15.8 -> 11.7-12.5 ns of CPU, 8.4 -> 6.5-7.0 ns of wall
time per trajectory-step, 0.275 -> 0.21-0.23 s for the answer (back to back with e7438a0's code).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from landscapes import Landscape

from ..optimizers import transformation
from ..vocabulary.compile_once import kernel_cache
from .devices import on_accelerator, spread
from .kernels import RunInputs
from .step import start_state, trajectory_step
from .stop import OK, stop_codes


BLOCK = 4096  # cells per call at most on a CPU (measured on 2 cores: 1024 and 16384 slower); larger grids: more calls
MIN_BLOCK = 64  # cells per call at least
BLOCKS = 2  # a grid is cut into at least this many blocks where each keeps MIN_BLOCK cells (4: a 64² map 14 -> 20 ms)
ACCELERATOR_BLOCK = 1 << 20  # on a GPU one call takes a whole grid: each call is a loop of ~20 kernel launches a step
SHARED = ("hyper", "clip", "plateau")  # inputs passed as scalars when every cell has the same values


@kernel_cache(maxsize=32)
def final_kernel(landscape: Landscape, key: tuple, steps: int, cells: int, lr_per_cell: bool, shared: bool):
    """Jitted: (landscape values, starts (cells, 2), inputs, per-cell step limits, lr, noise (steps, 2),
    use_plateau, f*, tol) -> dict of (cells,) arrays: x, y, loss (NaN where the cell stopped), stop_step
    (−1: none), stop_code, reached (−1: never). `shared`: the inputs are one run's scalars, shared by every
    cell; otherwise each leaf has a leading cell axis. Built for one shape (steps, cells), which its scan and
    vmap assert."""
    lookahead = key[0] == "lookahead"
    names = tuple(p.name for p in landscape.params)

    def one(with_plateau, work, landscape_values, start, inputs: RunInputs, limit, lr, noise, target, tolerance):
        """One cell; `limit` is its number of steps (a steps sweep), the run's steps otherwise."""
        q = dict(zip(names, landscape_values))
        f = lambda p: landscape.fn(p, q)
        start = (start[0], start[1])  # weights as a pair: vmap keeps each coordinate in one array of cells
        optimizer = lambda rate: transformation(key, inputs.hyper, rate)
        options = inputs.step_options(work)

        def step(carry, per_step):
            state, stop_step, stop_code, reached, k = carry
            lr_k, xi_k = per_step
            new_state, seen = trajectory_step(f, optimizer, lookahead, with_plateau, state, options, lr_k, xi_k)
            fast = (seen.grad_point[0], seen.grad_point[1]) if lookahead else None
            code = stop_codes(landscape, seen.point[0], seen.point[1], seen.loss, fast, xp=jnp)
            valid = (code == OK) | (k == 0) | (k > limit)
            alive = stop_step < 0
            # a cell moves until its own length; a stopped one, from the step after the iterate that stopped it
            # on: `moving` reads only the carry, not this step's check, so XLA need not recompute that check
            # inside the loops that update the weights and the optimizer's state
            moving = alive & (k < limit)
            stopping = alive & ~valid
            alive = alive & valid
            reached = jnp.where(alive & (k <= limit) & (reached < 0) & (seen.loss - target <= tolerance), k, reached)
            kept = jax.tree.map(lambda new, old: new if jnp.issubdtype(new.dtype, jnp.integer)
                                else jnp.where(moving, new, old), new_state, state)
            return (kept, jnp.where(stopping, k, stop_step), jnp.where(stopping, code, stop_code), reached, k + 1), None

        never = jnp.asarray(-1, jnp.int32)
        init = (start_state(optimizer, lookahead, start), never, jnp.asarray(OK, jnp.int32), never,
                jnp.asarray(0, jnp.int32))
        # one step more than the run: step `steps` only checks θ_steps (its update is not applied: lr 0)
        lr_all = jnp.concatenate([lr, jnp.zeros(1)])
        noise_all = jnp.concatenate([noise, jnp.zeros((1, 2))])
        (state, stop_step, stop_code, reached, _), _ = jax.lax.scan(step, init, (lr_all, noise_all),
                                                                    length=steps + 1)
        point = state.params.slow if lookahead else state.params
        gone = stop_step >= 0  # a stopped cell's point is not kept
        return {"x": jnp.where(gone, jnp.nan, point[0]), "y": jnp.where(gone, jnp.nan, point[1]),
                "loss": jnp.where(gone, jnp.nan, f(point)), "stop_step": stop_step.astype(jnp.int64),
                "stop_code": stop_code.astype(jnp.int64), "reached": reached.astype(jnp.int64)}

    inputs_axes = RunInputs(*(None if shared and name in SHARED else 0 for name in RunInputs._fields))
    in_axes = (None, 0, inputs_axes, 0, 0 if lr_per_cell else None, None, None, None)

    def grid(landscape_values, starts, inputs, limits, lr, noise, use_plateau, target, tolerance):
        work = inputs.gradient_work()  # over the block's cells

        def branch(with_plateau):
            cell = lambda *args: one(with_plateau, work, *args)
            return lambda: jax.vmap(cell, in_axes=in_axes, axis_size=cells)(
                landscape_values, starts, inputs, limits, lr, noise, target, tolerance)

        return jax.lax.cond(use_plateau, branch(True), branch(False))

    return jax.jit(grid)


def _pad(array: np.ndarray, size: int) -> np.ndarray:
    if len(array) == size:
        return array
    return np.concatenate([array, np.repeat(array[-1:], size - len(array), axis=0)])


def _shared(inputs: RunInputs) -> RunInputs | None:
    """The inputs with the SHARED fields as scalars when every cell has the same values there, else None."""
    fields = inputs._asdict()
    if all(np.all(leaf == leaf[0]) for name in SHARED for leaf in jax.tree.leaves(fields[name])):
        return inputs._replace(**{name: jax.tree.map(lambda leaf: np.float64(leaf[0]), fields[name])
                                  for name in SHARED})
    return None


def block_size(cells: int) -> int:
    """Cells per call: a function of the grid's size only, so any number of devices computes the same blocks with
    the same program (the same numbers, bit for bit): the grid's power of two cut in BLOCKS, within [MIN_BLOCK,
    BLOCK]; on a GPU one call takes the whole grid.

    >>> [block_size(n) for n in (3, 25, 4096, 65536)]  # on a CPU
    [64, 64, 2048, 4096]
    """
    whole = 1 << max(0, (cells - 1).bit_length())
    if on_accelerator():
        return min(whole, ACCELERATOR_BLOCK)
    return min(BLOCK, max(MIN_BLOCK, whole // BLOCKS))


def run_grid(landscape: Landscape, landscape_values: np.ndarray, key: tuple, steps: int, starts: np.ndarray,
             inputs: RunInputs, limits: np.ndarray, lr: np.ndarray, noise: np.ndarray, use_plateau: bool,
             target: float, tolerance: float) -> dict[str, np.ndarray]:
    """Every cell's final state (x, y and loss NaN where it stopped); `inputs` leaves and `limits` have a
    leading cell axis, `lr` is (steps,) or (cells, steps)."""
    cells = len(starts)
    size = block_size(cells)
    padded = -(-cells // size) * size
    lr_per_cell = lr.ndim == 2
    shared = _shared(inputs)
    kernel = final_kernel(landscape, key, steps, size, lr_per_cell, shared is not None)
    pad = lambda a: _pad(np.asarray(a), padded) if np.ndim(a) else a
    starts, limits, inputs = pad(starts), pad(limits), jax.tree.map(pad, shared or inputs)
    lr = pad(lr) if lr_per_cell else lr
    constants = (np.asarray(use_plateau), np.float64(target), np.float64(tolerance))

    def block(index: int, device: jax.Device) -> dict:
        first = index * size
        cut = lambda a: jax.device_put(a[first:first + size], device) if np.ndim(a) else a
        out = kernel(jax.device_put(np.asarray(landscape_values), device), cut(starts), jax.tree.map(cut, inputs),
                     cut(limits), cut(lr) if lr_per_cell else lr, noise, *constants)
        return {name: np.asarray(values) for name, values in out.items()}

    outs = spread(block, range(padded // size))
    return {name: np.concatenate([out[name] for out in outs])[:cells] for name in outs[0]}
