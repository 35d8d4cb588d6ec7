"""Grids of trajectories in one compiled call: the final-point kernel behind basin maps and sweeps.

Every cell of a grid is one trajectory of the same run with some numbers changed (its start, a hyperparameter,
a schedule parameter, the clipping, the noise level or its length). The kernel takes the same steps as the run
kernel (`app.engine.step.trajectory_step`) and stops them by the same rule (`app.engine.stop.stop_codes`), but
keeps no per-step records, only what a grid shows: the final point and loss, the step where the run stopped and
why, and the first step within tolerance:

    stopped at the first k ≥ 1 whose iterate stops the run (diverged or escaped)
    reached = first k with f(θ_k) − f* ≤ tolerance

Cells are vectorised with vmap and sharded across every JAX device present (`jax.sharding`, a 1-D mesh over
cells), so a host with several devices or a GPU runs the same code faster; with
XLA_FLAGS=--xla_force_host_platform_device_count=2 the results are identical. As in the run kernel, the loop is
compiled with and without reduce-on-plateau and `use_plateau` picks one.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from landscapes import Landscape

from ..optimizers import transformation
from ..vocabulary.compile_once import kernel_cache
from .kernels import RunInputs
from .step import start_state, trajectory_step
from .stop import OK, stop_codes


def device_mesh() -> Mesh:
    return Mesh(np.asarray(jax.devices()), ("cells",))


@kernel_cache(maxsize=32)
def final_kernel(landscape: Landscape, key: tuple, steps: int, cells: int, lr_per_cell: bool):
    """Jitted: (landscape values, starts (cells, 2), per-cell inputs, per-cell step limits, lr, noise (steps, 2),
    use_plateau, f*, tol) -> dict of (cells,) arrays: x, y, loss, stop_step (−1: none), stop_code, reached
    (−1: never). Built for one shape (steps, cells), which its scan and vmap assert."""
    lookahead = key[0] == "lookahead"
    names = tuple(p.name for p in landscape.params)

    def one(with_plateau, landscape_values, start, inputs: RunInputs, limit, lr, noise, target, tolerance):
        """One cell; `limit` is its number of steps (a steps sweep), the run's steps otherwise."""
        q = dict(zip(names, landscape_values))
        f = lambda p: landscape.fn(p, q)
        optimizer = lambda rate: transformation(key, inputs.hyper, rate)
        options = inputs.step_options()

        def step(carry, per_step):
            state, alive, stop_step, stop_code, reached, k = carry
            lr_k, xi_k = per_step
            new_state, seen = trajectory_step(f, optimizer, lookahead, with_plateau, state, options, lr_k, xi_k)
            fast = (seen.grad_point[0], seen.grad_point[1]) if lookahead else None
            code = stop_codes(landscape, seen.point[0], seen.point[1], seen.loss, fast, xp=jnp)
            valid = (code == OK) | (k == 0) | (k > limit)
            stopping = alive & ~valid
            alive = alive & valid
            moving = alive & (k < limit)  # past its own length a cell stays where it is
            reached = jnp.where(alive & (k <= limit) & (reached < 0) & (seen.loss - target <= tolerance), k, reached)
            kept = jax.tree.map(lambda new, old: jnp.where(moving, new, old), new_state, state)
            return (kept, alive, jnp.where(stopping, k, stop_step), jnp.where(stopping, code, stop_code), reached,
                    k + 1), None

        init = (start_state(optimizer, lookahead, start), jnp.asarray(True), jnp.asarray(-1), jnp.asarray(OK),
                jnp.asarray(-1), jnp.asarray(0))
        # one step more than the run: step `steps` only checks θ_steps (its update is not applied: lr 0)
        lr_all = jnp.concatenate([lr, jnp.zeros(1)])
        noise_all = jnp.concatenate([noise, jnp.zeros((1, 2))])
        (state, _, stop_step, stop_code, reached, _), _ = jax.lax.scan(step, init, (lr_all, noise_all),
                                                                       length=steps + 1)
        point = state.params.slow if lookahead else state.params
        return {"x": point[0], "y": point[1], "loss": f(point), "stop_step": stop_step, "stop_code": stop_code,
                "reached": reached}

    in_axes = (None, 0, 0, 0, 0 if lr_per_cell else None, None, None, None)

    def grid(landscape_values, starts, inputs, limits, lr, noise, use_plateau, target, tolerance):
        def branch(with_plateau):
            cell = lambda *args: one(with_plateau, *args)
            return lambda: jax.vmap(cell, in_axes=in_axes, axis_size=cells)(
                landscape_values, starts, inputs, limits, lr, noise, target, tolerance)

        return jax.lax.cond(use_plateau, branch(True), branch(False))

    return jax.jit(grid)


def _pad(array: np.ndarray, size: int) -> np.ndarray:
    if len(array) == size:
        return array
    return np.concatenate([array, np.repeat(array[-1:], size - len(array), axis=0)])


def run_grid(landscape: Landscape, landscape_values: np.ndarray, key: tuple, steps: int, starts: np.ndarray,
             inputs: RunInputs, limits: np.ndarray, lr: np.ndarray, noise: np.ndarray, use_plateau: bool,
             target: float, tolerance: float) -> dict[str, np.ndarray]:
    """Every cell's final state; `inputs` leaves and `limits` have a leading cell axis, `lr` is (steps,) or
    (cells, steps)."""
    cells = len(starts)
    devices = jax.device_count()
    bucket = max(devices, 1 << max(0, (cells - 1).bit_length()))
    bucket = -(-bucket // devices) * devices
    lr_per_cell = lr.ndim == 2
    sharding = NamedSharding(device_mesh(), PartitionSpec("cells"))
    put = lambda a: jax.device_put(_pad(np.asarray(a), bucket), sharding)
    kernel = final_kernel(landscape, key, steps, bucket, lr_per_cell)
    out = kernel(np.asarray(landscape_values), put(starts), jax.tree.map(put, inputs), put(limits),
                 put(lr) if lr_per_cell else lr, noise, np.asarray(use_plateau), np.float64(target),
                 np.float64(tolerance))
    return {name: np.asarray(value)[:cells] for name, value in out.items()}
