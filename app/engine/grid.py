"""Grids of trajectories in one compiled call: the final-point kernel behind basin maps and sweeps.

Every cell of a grid is one trajectory of the same run with some numbers changed (its start, a hyperparameter,
a schedule parameter, the clipping or the noise level). The kernel keeps no per-step records, only what a grid
shows: the final point and loss, the step where the run stopped and why, and the first step within tolerance.
Cells are vectorised with vmap and sharded across every JAX device present (`jax.sharding`, a 1-D mesh over
cells), so a host with several devices or a GPU runs the same code faster; with
XLA_FLAGS=--xla_force_host_platform_device_count=2 the results are identical.

Per step, as in `app.kernels` (and with the same optax update); in addition:

    stopped at the first k ≥ 1 whose iterate is non-finite (diverged) or escaped (twice the domain, floor)
    reached = first k with f(θ_k) − f* ≤ tolerance
"""
from __future__ import annotations

from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from landscapes import Landscape
from ..vocabulary.compile_once import kernel_cache

from ..optimizers import plateau
from .kernels import _optimizer, clip_by_norm

OK, DIVERGED, ESCAPED = 0, 1, 2


def device_mesh() -> Mesh:
    return Mesh(np.asarray(jax.devices()), ("cells",))


@kernel_cache(maxsize=32)
def final_kernel(landscape: Landscape, key: tuple, steps: int, cells: int, lr_per_cell: bool):
    """Jitted: (landscape values, starts (cells, 2), per-cell inputs, lr, noise (steps, 2), use_plateau, f*, tol)
    -> dict of (cells,) arrays: x, y, loss, stop_step (−1: none), stop_code, reached (−1: never)."""
    lookahead = key[0] == "lookahead"
    names = tuple(p.name for p in landscape.params)
    (x_lo, x_hi), (y_lo, y_hi) = landscape.escape_box()
    floor = landscape.floor

    def one(landscape_values, start, inputs, lr, noise, use_plateau, target, tolerance):
        limit = inputs["limit"]  # this cell's number of steps (a steps sweep); the run's steps otherwise
        q = dict(zip(names, landscape_values))
        f = lambda p: landscape.fn(p, q)
        params = optax.LookaheadParams.init_synced(start) if lookahead else start
        opt_state = _optimizer(key, inputs["hyper"], 1.0).init(params)

        def step(carry, per_step):
            params, opt_state, plateau_state, alive, stop_step, stop_code, reached, k = carry
            lr_k, xi_k = per_step
            point = params.slow if lookahead else params
            grad_point = params.fast if lookahead else point
            loss_g, g = jax.value_and_grad(f)(grad_point)
            loss = f(point) if lookahead else loss_g
            finite = jnp.isfinite(point[0]) & jnp.isfinite(point[1]) & jnp.isfinite(loss)
            inside = (point[0] >= x_lo) & (point[0] <= x_hi) & (point[1] >= y_lo) & (point[1] <= y_hi)
            valid = (finite & inside & (loss >= floor)) | (k == 0) | (k > limit)
            stopping = alive & ~valid
            alive = alive & valid
            moving = alive & (k < limit)  # past its own length a cell stays where it is
            reached = jnp.where(alive & (k <= limit) & (reached < 0) & (loss - target <= tolerance), k, reached)
            clipped = clip_by_norm(g + inputs["noise_std"] * xi_k, inputs["clip"])
            new_plateau, scale = plateau.plateau_step(plateau_state, loss_g, inputs["plateau"], lr_k)
            scale = jnp.where(use_plateau, scale, 1.0)
            updates, new_opt = _optimizer(key, inputs["hyper"], lr_k * scale).update(clipped, opt_state, params)
            new_params = optax.apply_updates(params, updates)
            keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(moving, a, b), new, old)
            carry = (keep(new_params, params), keep(new_opt, opt_state), keep(new_plateau, plateau_state), alive,
                     jnp.where(stopping, k, stop_step),
                     jnp.where(stopping, jnp.where(finite, ESCAPED, DIVERGED), stop_code), reached, k + 1)
            return carry, None

        init = (params, opt_state, plateau.initial_state(), jnp.asarray(True), jnp.asarray(-1), jnp.asarray(OK),
                jnp.asarray(-1), jnp.asarray(0))
        # one step more than the run: step `steps` only checks θ_steps (its update is not applied: lr 0)
        lr_all = jnp.concatenate([lr, jnp.zeros(1)])
        noise_all = jnp.concatenate([noise, jnp.zeros((1, 2))])
        (params, _, _, alive, stop_step, stop_code, reached, _), _ = jax.lax.scan(step, init, (lr_all, noise_all))
        point = params.slow if lookahead else params
        return {"x": point[0], "y": point[1], "loss": f(point), "stop_step": stop_step, "stop_code": stop_code,
                "reached": reached}

    in_axes = (None, 0, 0, 0 if lr_per_cell else None, None, None, None, None)
    return jax.jit(jax.vmap(one, in_axes=in_axes))


def _pad(array: np.ndarray, size: int) -> np.ndarray:
    if len(array) == size:
        return array
    return np.concatenate([array, np.repeat(array[-1:], size - len(array), axis=0)])


def run_grid(landscape: Landscape, landscape_values: np.ndarray, key: tuple, steps: int, starts: np.ndarray,
             inputs: Mapping[str, Any], lr: np.ndarray, noise: np.ndarray, use_plateau: bool, target: float,
             tolerance: float) -> dict[str, np.ndarray]:
    """Every cell's final state; `inputs` leaves have a leading cell axis, `lr` is (steps,) or (cells, steps)."""
    cells = len(starts)
    devices = jax.device_count()
    bucket = max(devices, 1 << max(0, (cells - 1).bit_length()))
    bucket = -(-bucket // devices) * devices
    lr_per_cell = lr.ndim == 2
    sharding = NamedSharding(device_mesh(), PartitionSpec("cells"))
    put = lambda a: jax.device_put(_pad(np.asarray(a), bucket), sharding)
    sharded_inputs = jax.tree.map(put, dict(inputs))
    kernel = final_kernel(landscape, key, steps, bucket, lr_per_cell)
    out = kernel(np.asarray(landscape_values), put(starts), sharded_inputs, put(lr) if lr_per_cell else lr, noise,
                 np.asarray(use_plateau), np.float64(target), np.float64(tolerance))
    return {name: np.asarray(value)[:cells] for name, value in out.items()}
