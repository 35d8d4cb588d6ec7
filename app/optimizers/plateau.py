"""Reduce-on-plateau as a pure function with explicit state, for any schedule (docs/mathematics.md).

The metric is the exact loss f(θ_k) before update k. Every option is an array, so new values recompile nothing.
A run without plateau never calls `plateau_step` (the trajectory step is compiled without it): that is the one
way to turn it off.
Two conventions, both in one formula (`torch` is 0 or 1):

- optax (`optax.contrib.reduce_on_plateau`): reduce when the bad-step count reaches `patience`; the new scale
  applies to the same update whose loss triggered it.
- torch (`ReduceLROnPlateau`): reduce when it exceeds `patience`, from the next update on, and only when the rate
  changes by more than 1e-8.

State, per decision (every `accumulation_size` steps, on the mean loss):

    improved = m < best·(1 − rtol) − atol
    best, bad = (m, 0) if improved else (best, bad + 1)
    in cooldown: cooldown_left −= 1, bad = 0
    elif bad ≥ patience + torch: scale = max(scale·factor, min_scale), cooldown_left = cooldown, bad = 0

Example:
    >>> import jax.numpy as jnp
    >>> options = plateau_options(factor=0.1, patience=2, convention="optax")
    >>> state, scales = initial_state(), []
    >>> for loss in [1.0, 1.0, 1.0, 1.0]:
    ...     state, used = plateau_step(state, jnp.asarray(loss), options, jnp.asarray(0.1))
    ...     scales.append(round(float(used), 3))
    >>> scales
    [1.0, 1.0, 0.1, 0.1]
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

TORCH_EPS = 1e-8


class PlateauState(NamedTuple):
    scale: jnp.ndarray
    best: jnp.ndarray
    bad: jnp.ndarray
    cooldown_left: jnp.ndarray
    count: jnp.ndarray
    mean: jnp.ndarray


class PlateauOptions(NamedTuple):
    factor: jnp.ndarray
    patience: jnp.ndarray
    rtol: jnp.ndarray
    atol: jnp.ndarray
    cooldown: jnp.ndarray
    accumulation_size: jnp.ndarray
    min_scale: jnp.ndarray
    torch: jnp.ndarray


def initial_state() -> PlateauState:
    f = lambda v: jnp.asarray(v, dtype=jnp.float64)
    return PlateauState(scale=f(1.0), best=f(jnp.inf), bad=f(0), cooldown_left=f(0), count=f(0), mean=f(0.0))


def plateau_options(factor=0.5, patience=10, rtol=1e-4, atol=0.0, cooldown=0, accumulation_size=1, min_scale=0.0,
                    convention="torch") -> PlateauOptions:
    """Options as float64 arrays (what the kernels take)."""
    f = lambda v: jnp.asarray(v, dtype=jnp.float64)
    return PlateauOptions(f(factor), f(patience), f(rtol), f(atol), f(cooldown), f(accumulation_size), f(min_scale),
                          f(1.0 if convention == "torch" else 0.0))


def plateau_step(state: PlateauState, metric, options: PlateauOptions, base_lr) -> tuple[PlateauState, jnp.ndarray]:
    """Feed the loss of step k; return the new state and the scale that multiplies η(k).

    `base_lr` is the schedule's η(k), used only by torch's 1e-8 rule.
    """
    count = state.count + 1
    mean = (state.count * state.mean + metric) / count
    decide = count >= options.accumulation_size

    improved = mean < state.best * (1 - options.rtol) - options.atol
    best = jnp.where(improved, mean, state.best)
    bad = jnp.where(improved, 0.0, state.bad + 1)
    cooling = state.cooldown_left > 0
    trigger = (~cooling) & (bad >= options.patience + options.torch)
    reduced = jnp.maximum(state.scale * options.factor, options.min_scale)
    big_enough = (options.torch == 0) | ((state.scale - reduced) * base_lr > TORCH_EPS)
    scale = jnp.where(trigger & big_enough, reduced, state.scale)
    decided = PlateauState(
        scale=scale,
        best=best,
        bad=jnp.where(cooling | trigger, 0.0, bad),
        cooldown_left=jnp.where(cooling, state.cooldown_left - 1, jnp.where(trigger, options.cooldown, 0.0)),
        count=jnp.zeros_like(count),
        mean=jnp.zeros_like(mean),
    )
    waiting = state._replace(count=count, mean=mean)
    new = PlateauState(*(jnp.where(decide, a, b) for a, b in zip(decided, waiting)))
    return new, jnp.where(options.torch > 0, state.scale, new.scale)
