"""Lookahead (Zhang et al. 2019) as optax computes it, with a sync period that may be traced.

Example:
    >>> import jax.numpy as jnp, optax
    >>> tx = lookahead(optax.sgd(0.1), sync_period=2, slow_step_size=0.5)
    >>> params = optax.LookaheadParams.init_synced(jnp.array([1.0, 1.0]))
    >>> state = tx.init(params)
    >>> for _ in range(2):
    ...     updates, state = tx.update(2 * params.fast, state, params)  # the gradient of ‖θ‖² at the fast weights
    ...     params = optax.apply_updates(params, updates)
    >>> [round(float(v), 4) for v in params.slow]
    [0.82, 0.82]
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class LookaheadState(NamedTuple):
    fast_state: Any
    steps_since_sync: jnp.ndarray


def lookahead(fast_optimizer: optax.GradientTransformation, sync_period, slow_step_size) -> optax.GradientTransformation:
    """optax.lookahead with a traced `sync_period`.

    optax checks `sync_period < 1` in Python, which a traced value cannot answer; the arithmetic below is
    optax's `_lookahead_update` line for line (a test proves the trajectories equal):
        last_difference = fast + u − slow
        slow_update = α·sync·last_difference;  fast_update = u − sync·(1 − α)·last_difference
    Params are `optax.LookaheadParams` (gradients at `fast`).
    """

    def init_fn(params):
        return LookaheadState(fast_optimizer.init(params.fast), jnp.zeros((), jnp.int32))

    def update_fn(updates, state, params):
        updates, fast_state = fast_optimizer.update(updates, state.fast_state, params.fast)
        sync_next = state.steps_since_sync == (sync_period - 1)
        diff = jax.tree.map(lambda f, u, s: f + u - s, params.fast, updates, params.slow)
        slow = jax.tree.map(lambda d: slow_step_size * sync_next * d, diff)
        fast = jax.tree.map(lambda u, d: u - sync_next * (1 - slow_step_size) * d, updates, diff)
        steps = ((state.steps_since_sync + 1) % sync_period).astype(jnp.int32)
        return optax.LookaheadParams(fast=fast, slow=slow), LookaheadState(fast_state, steps)

    return optax.GradientTransformation(init_fn, update_fn)
