"""The compiled trajectory kernels: pure functions from arrays to arrays, state in and state out.

One kernel per (landscape, optimizer ids, chunk length, run bucket); everything else (learning rates,
hyperparameters, starts, clipping, noise, plateau options, landscape parameters) arrives as float64 arrays, so a
new number never recompiles. `init` builds the carried state; `advance` runs `length` steps of every run
(`lax.scan` over steps of a step vectorised over runs) and returns the new state and per-step records. A whole
run is one `advance` over its step bucket; a stream is several `advance` calls over the same state, which gives
the same numbers bit for bit.

Per step k and run (θ_k the iterate shown; for lookahead the slow weights, gradients at the fast ones):

    loss_k, g = f(θ_k), ∇f(θ_k)                      recorded: x_k, y_k, loss_k, ‖g‖
    g̃ = clip_by_global_norm(g + std·ξ_k, c)           ξ_k ~ N(0, I) from fold_in(key(seed), k)
    s_k = plateau scale from loss_k                   (1 without plateau)     recorded: η_k·s_k
    θ_{k+1} = θ_k + optax update with η = lr_k·s_k    recorded: ‖θ_{k+1} − θ_k‖

After the loop the chunk also returns its `tail`: the iterate that starts the next chunk and its loss. The loop
does nothing else: where a run stops (a non-finite or escaped iterate) is read off the records afterwards
(`stops`), and the records are cut there. XLA:CPU pays per operation in a loop body, so every check kept out of
the loop is time saved for every run and step. Plateau's state machine costs about 40% more per step; the
kernel holds the loop twice, with and without it, and a group's `use_plateau` flag picks one at run time (one
`lax.cond` per chunk, not per step), so choosing the plateau schedule compiles nothing either.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscapes import Landscape
from ..vocabulary.compile_once import kernel_cache

from ..optimizers import plateau
from ..optimizers import OPTIMIZERS, unflatten

UNROLL = 4  # steps per loop iteration: measured fastest on this 2-core CPU (1: 2.4 ms, 4: 0.9 ms per 1024 steps)


class Carry(NamedTuple):
    params: Any  # the iterate (LookaheadParams for lookahead)
    opt_state: Any
    plateau: plateau.PlateauState


class RunInputs(NamedTuple):
    """The per-run constants of a kernel call (each leaf has a leading run axis)."""

    hyper: dict  # flat optimizer hyperparameters
    clip: jnp.ndarray  # +inf: no clipping
    noise_std: jnp.ndarray
    plateau: plateau.PlateauOptions


def norm2(v):
    """‖v‖ of a 2-vector, written out (a reduction is one more kernel launch per step on XLA:CPU)."""
    return jnp.sqrt(v[0] * v[0] + v[1] * v[1])


def clip_by_norm(g, max_norm):
    """optax.clip_by_global_norm for one 2-vector, the same arithmetic: g if ‖g‖ < c else (g/‖g‖)·c."""
    g_norm = norm2(g)
    return jnp.where(g_norm < max_norm, g, (g / g_norm) * max_norm)


def _optimizer(key: tuple, hyper: dict, lr):
    return OPTIMIZERS[key[0]].build(unflatten(key, hyper), lr)


KERNEL_CACHE = 128  # compiled kernels kept (each a few MB at most): bounded whatever requests come


@kernel_cache(maxsize=KERNEL_CACHE)
def init_kernel(key: tuple, runs: int):
    lookahead = key[0] == "lookahead"

    def one(start, hyper):
        params = optax.LookaheadParams.init_synced(start) if lookahead else start
        return Carry(params, _optimizer(key, hyper, 1.0).init(params), plateau.initial_state())

    return jax.jit(lambda starts, hyper: jax.vmap(one)(starts, hyper))


@kernel_cache(maxsize=KERNEL_CACHE)
def advance_kernel(landscape: Landscape, key: tuple, length: int, runs: int):
    """The jitted chunk function of one kernel group; see the module docstring.

    `use_plateau` (a bool array) picks the loop with the plateau state machine. Returns (carry, records, tail):
    records (runs, length) per field, tail (runs,) per field."""
    lookahead = key[0] == "lookahead"
    names = tuple(p.name for p in landscape.params)

    def run_chunk(with_plateau: bool, landscape_values, carry: Carry, inputs: RunInputs, lr, noise):
        q = dict(zip(names, landscape_values))
        f = lambda p: landscape.fn(p, q)
        value_and_grad = jax.value_and_grad(f)

        def step(carry: Carry, per_step):
            lr_k, xi_k = per_step
            point = carry.params.slow if lookahead else carry.params
            grad_point = carry.params.fast if lookahead else point
            loss_g, g = value_and_grad(grad_point)
            clipped = clip_by_norm(g + inputs.noise_std * xi_k, inputs.clip)
            if with_plateau:
                plateau_state, scale = plateau.plateau_step(carry.plateau, loss_g, inputs.plateau, lr_k)
                rate = lr_k * scale
            else:
                plateau_state, rate = carry.plateau, lr_k
            tx = _optimizer(key, inputs.hyper, rate)
            updates, opt_state = tx.update(clipped, carry.opt_state, carry.params)
            params = optax.apply_updates(carry.params, updates)
            shown = params.slow if lookahead else params
            record = {"x": point[0], "y": point[1], "loss": f(point) if lookahead else loss_g,
                      "grad_norm": norm2(g), "step_norm": norm2(shown - point)}
            record["lr"] = rate
            if lookahead:
                record["fast_x"], record["fast_y"] = grad_point[0], grad_point[1]
            return Carry(params, opt_state, plateau_state), record

        carry, records = jax.lax.scan(step, carry, (lr, noise), unroll=UNROLL)
        point = carry.params.slow if lookahead else carry.params
        tail = {"x": point[0], "y": point[1], "loss": f(point)}
        if lookahead:
            tail["fast_x"], tail["fast_y"] = carry.params.fast[0], carry.params.fast[1]
        return carry, records, tail

    def chunk(landscape_values, carry, inputs, lr, noise, use_plateau):
        def branch(with_plateau):
            return lambda: jax.vmap(lambda *args: run_chunk(with_plateau, landscape_values, *args))(
                carry, inputs, lr, noise)

        return jax.lax.cond(use_plateau, branch(True), branch(False))

    return jax.jit(chunk)


@kernel_cache(maxsize=32)
def noise_kernel(length: int):
    """ξ_k for k = offset .. offset+length−1 of one run: normal(fold_in(key(seed), k)), shape (length, 2).

    One run at a time, so it compiles once per step bucket, whatever the number of runs."""

    def one(seed, offset):
        key = jax.random.key(seed)
        steps = offset + jnp.arange(length, dtype=jnp.uint32)
        return jax.vmap(lambda k: jax.random.normal(jax.random.fold_in(key, k), (2,), dtype=jnp.float64))(steps)

    return jax.jit(one)


@lru_cache(maxsize=64)
def zero_noise(runs: int, length: int):
    """The noise input of a group where no run is noisy, kept on the device."""
    return jax.device_put(np.zeros((runs, length, 2)))  # a transfer; jnp.zeros would be an eager compile


def stops(landscape: Landscape, records: dict, first_step: int = 0) -> list[tuple[int | None, str]]:
    """For each run (row) of records: the first step k ≥ 1 whose iterate is non-finite ("diverged") or outside
    twice the plot domain or below the landscape's floor ("escaped"), or (None, "ok"). Column j is step
    `first_step + j`."""
    x, y, loss = records["x"], records["y"], records["loss"]
    finite = np.isfinite(x) & np.isfinite(y) & np.isfinite(loss)
    if "fast_x" in records:
        finite &= np.isfinite(records["fast_x"]) & np.isfinite(records["fast_y"])
    (x0, x1), (y0, y1) = landscape.escape_box()
    with np.errstate(invalid="ignore"):
        valid = finite & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1) & (loss >= landscape.floor)
    if first_step == 0:
        valid[:, 0] = True  # θ_0 is the user's start, checked when the scene was validated
    invalid = ~valid
    first = np.argmax(invalid, axis=1)
    out = []
    for row, column in enumerate(first):
        if not invalid[row, column]:
            out.append((None, "ok"))
        else:
            out.append((first_step + int(column), "diverged" if not finite[row, column] else "escaped"))
    return out
