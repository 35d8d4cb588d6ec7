"""The compiled trajectory kernels: pure functions from arrays to arrays, state in and state out.

One kernel per (landscape, optimizer ids, plateau on/off, chunk length, run bucket); everything else (learning
rates, hyperparameters, starts, clipping, noise, plateau options, landscape parameters) arrives as float64 arrays,
so a new number never recompiles. Plateau is a structural switch, like the optimizer: its state machine costs
about 1-2 µs per step on XLA:CPU (measured), 10x the rest of the step, so runs without it do not carry it. `init` builds the carried state; `advance` runs `length` steps of every run
(`lax.map` over runs, `lax.scan` over steps) and returns the new state and per-step records. A whole run is one
`advance` over its step bucket; a stream is several `advance` calls over the same state, which gives the same
numbers bit for bit.

Per step k and run (θ_k the iterate shown; for lookahead the slow weights, gradients at the fast ones):

    loss_k, g = f(θ_k), ∇f(θ_k)                      recorded: x_k, y_k, loss_k, ‖g‖
    g̃ = clip_by_global_norm(g + std·ξ_k, c)           ξ_k ~ N(0, I) from fold_in(key(seed), k)
    s_k = plateau scale from loss_k                   (1 without plateau)
    θ_{k+1} = θ_k + optax update with η = lr_k·s_k    recorded: η, ‖θ_{k+1} − θ_k‖

A run stops at the first k ≥ 1 whose iterate is non-finite ("diverged") or outside twice the plot domain or below
the landscape's floor ("escaped"); from then on its state is frozen.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from landscapes import Landscape

from . import plateau
from .optimizers import OPTIMIZERS, unflatten

DIVERGED, ESCAPED = 1, 2


class Carry(NamedTuple):
    params: Any  # the iterate (LookaheadParams for lookahead)
    opt_state: Any
    plateau: plateau.PlateauState
    alive: jnp.ndarray
    stop_step: jnp.ndarray  # first invalid step, or −1
    stop_code: jnp.ndarray  # DIVERGED or ESCAPED
    k: jnp.ndarray  # the next step's index


class RunInputs(NamedTuple):
    """The per-run constants of a kernel call (each leaf has a leading run axis)."""

    hyper: dict  # flat optimizer hyperparameters
    clip: jnp.ndarray  # +inf: no clipping
    noise_std: jnp.ndarray
    plateau: plateau.PlateauOptions


def _shown(params, lookahead: bool):
    return params.slow if lookahead else params


def _optimizer(key: tuple, hyper: dict, lr):
    return OPTIMIZERS[key[0]].build(unflatten(key, hyper), lr)


@lru_cache(maxsize=None)
def init_kernel(key: tuple, runs: int):
    lookahead = key[0] == "lookahead"

    def one(start, hyper):
        params = optax.LookaheadParams.init_synced(start) if lookahead else start
        return Carry(params, _optimizer(key, hyper, 1.0).init(params), plateau.initial_state(), jnp.asarray(True),
                     jnp.asarray(-1, jnp.int32), jnp.asarray(0, jnp.int32), jnp.asarray(0, jnp.int32))

    return jax.jit(lambda starts, hyper: jax.vmap(one)(starts, hyper))


@lru_cache(maxsize=None)
def advance_kernel(landscape: Landscape, key: tuple, with_plateau: bool, length: int, runs: int):
    """The jitted chunk function for one kernel group; see the module docstring."""
    lookahead = key[0] == "lookahead"
    names = tuple(p.name for p in landscape.params)
    floor = landscape.floor
    (x_lo, x_hi), (y_lo, y_hi) = landscape.escape_box()

    def run_chunk(landscape_values, carry: Carry, inputs: RunInputs, lr, noise):
        q = dict(zip(names, landscape_values))
        f = lambda p: landscape.fn(p, q)
        value_and_grad = jax.value_and_grad(f)

        def step(carry: Carry, per_step):
            lr_k, xi_k = per_step
            point = _shown(carry.params, lookahead)
            grad_point = carry.params.fast if lookahead else point
            loss_g, g = value_and_grad(grad_point)
            loss = f(point) if lookahead else loss_g

            finite = jnp.all(jnp.isfinite(point)) & jnp.isfinite(loss) & jnp.all(jnp.isfinite(grad_point))
            inside = (point[0] >= x_lo) & (point[0] <= x_hi) & (point[1] >= y_lo) & (point[1] <= y_hi)
            valid = (finite & inside & (loss >= floor)) | (carry.k == 0)
            stopping = carry.alive & ~valid
            alive = carry.alive & valid

            noisy = g + inputs.noise_std * xi_k
            clipped, _ = optax.clip_by_global_norm(inputs.clip).update(noisy, optax.EmptyState())
            if with_plateau:
                plateau_state, scale = plateau.plateau_step(carry.plateau, loss_g, inputs.plateau, lr_k)
                rate = lr_k * scale
            else:
                plateau_state, rate = carry.plateau, lr_k
            tx = _optimizer(key, inputs.hyper, rate)
            updates, opt_state = tx.update(clipped, carry.opt_state, carry.params)
            params = optax.apply_updates(carry.params, updates)
            step_norm = jnp.linalg.norm(_shown(params, lookahead) - point)

            keep = lambda new, old: jax.tree.map(lambda a, b: jnp.where(alive, a, b), new, old)
            new_carry = Carry(
                params=keep(params, carry.params),
                opt_state=keep(opt_state, carry.opt_state),
                plateau=keep(plateau_state, carry.plateau) if with_plateau else carry.plateau,
                alive=alive,
                stop_step=jnp.where(stopping, carry.k, carry.stop_step),
                stop_code=jnp.where(stopping, jnp.where(finite, ESCAPED, DIVERGED), carry.stop_code),
                k=carry.k + 1,
            )
            record = {"x": point[0], "y": point[1], "loss": loss, "lr": rate, "grad_norm": jnp.linalg.norm(g),
                      "step_norm": step_norm}
            if lookahead:
                record["fast_x"], record["fast_y"] = grad_point[0], grad_point[1]
            return new_carry, record

        return jax.lax.scan(step, carry, (lr, noise))

    def chunk(landscape_values, carry, inputs, lr, noise):
        return jax.lax.map(lambda args: run_chunk(landscape_values, *args), (carry, inputs, lr, noise))

    return jax.jit(chunk)


@lru_cache(maxsize=None)
def noise_kernel(length: int, runs: int):
    """ξ_k for k = offset .. offset+length−1 of each run: normal(fold_in(key(seed), k)), shape (runs, length, 2)."""

    def one(seed, offset):
        key = jax.random.key(seed)
        steps = offset + jnp.arange(length, dtype=jnp.uint32)
        return jax.vmap(lambda k: jax.random.normal(jax.random.fold_in(key, k), (2,), dtype=jnp.float64))(steps)

    return jax.jit(lambda seeds, offset: jax.vmap(one, in_axes=(0, None))(seeds, offset))
