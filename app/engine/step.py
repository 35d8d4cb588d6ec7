"""One trajectory step: the gradient, noise, clipping, reduce-on-plateau and the optimizer's update. Pure jnp,
state in and state out; the run kernel, the grid kernel and the exported script all take their steps here.

Per step k of one run (θ_k the iterate shown; for lookahead the slow weights, with gradients at the fast ones):

    loss_k, g = f(θ_k), ∇f(θ_k)                      (lookahead: g and the plateau's metric at the fast weights)
    g̃ = clip_by_global_norm(g + std·ξ_k, c)           ξ_k = gradient_noise(seed, k); c = +inf: no clipping
                                                     (a call where every std is 0 adds no noise, one where every
                                                     c is +inf computes no clipping: `when`; the same numbers)
    s_k = plateau scale from the metric              (1 without plateau)
    θ_{k+1} = θ_k + optax update with η = lr_k·s_k

Asked for its internals (`internals=True`, a static flag: the loop without it is the same program as before), the
step also returns the update it applied, θ_{k+1} − θ_k of the weights the optimizer moves (lookahead: the fast
weights), and the optimizer's state after the update as optax names its fields (`state_fields`).

The weights are a (2,) array (a run) or a pair (x, y) of scalars (a grid cell, whose coordinates the grid kernel
keeps in one array each); every optimizer here is elementwise, so both take the same arithmetic.
The optimizer is built at every step with that step's rate (`optimizer(rate)`): its state does not depend on the
rate, and optax applies −η at the end exactly as `optax.adam(η)` would.

Example:
    >>> import jax.numpy as jnp, optax
    >>> f = lambda p: p[0] ** 2 + 3 * p[1] ** 2
    >>> options = StepOptions(clip=jnp.inf, noise_std=0.0, plateau=None)
    >>> state = start_state(optax.sgd, False, jnp.array([1.0, 1.0]))
    >>> state, seen = trajectory_step(f, optax.sgd, False, False, state, options, 0.1, jnp.zeros(2))
    >>> [round(float(v), 4) for v in state.params], float(seen.loss), float(seen.rate)
    ([0.8, 0.4], 4.0, 0.1)
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ..optimizers.plateau import PlateauOptions, PlateauState, initial_state, plateau_step


class State(NamedTuple):
    """What one run carries from step to step."""

    params: Any  # the iterate (optax.LookaheadParams for lookahead)
    opt_state: Any
    plateau: PlateauState


class GradientWork(NamedTuple):
    """Which of the gradient's extras a step computes: one flag each for every run of a kernel call (the kernels
    compute them over the call's runs; True: compute it)."""

    noisy: Any = True  # False: every run's noise std is 0, so no noise is added
    clipping: Any = True  # False: every run's c is +inf, so nothing is clipped


class StepOptions(NamedTuple):
    """A run's per-step options (arrays: new values recompile nothing)."""

    clip: Any  # the clipping norm c; +inf: no clipping
    noise_std: Any
    plateau: PlateauOptions | None  # read only by a step taken with plateau
    work: GradientWork = GradientWork()


class Seen(NamedTuple):
    """What one step saw at θ_k, before its update."""

    point: Any  # θ_k, the iterate shown
    grad_point: Any  # where the gradient was taken (the fast weights for lookahead)
    loss: Any  # f(θ_k)
    gradient: Any  # ∇f at grad_point, before noise and clipping
    rate: Any  # η = lr_k·s_k, the rate this update used
    internals: Any = None  # asked for: {"update": θ_{k+1} − θ_k, "state": state_fields(...)}; None otherwise


def norm2(v):
    """‖v‖ of a 2-vector, written out: √(v₀² + v₁²), each square rounded before the sum, as numpy computes it.

    The max(·, 0) changes no value (a square is ≥ 0, NaN stays NaN) but keeps XLA:CPU from fusing a square into
    the sum (a multiply-add rounds once): the code compiled for 2-16 runs fused v₀² and the code for 32 or more
    did not, so a run's step norms (and its clipping) differed in the last bit between a group of 16 runs and a
    group of 17.

    >>> float(norm2(jnp.array([3.0, 4.0])))
    5.0
    """
    square = lambda a: jnp.maximum(a * a, 0.0)
    return jnp.sqrt(square(v[0]) + square(v[1]))


def clip_by_norm(g, max_norm):
    """optax.clip_by_global_norm for one 2-vector (an array, or a pair of coordinates), the same arithmetic:
    g if ‖g‖ < c or c = +inf else (g/‖g‖)·c. At c = +inf (no clipping) g is kept whatever its norm: optax would
    give (g/inf)·inf = NaN where ‖g‖ overflows (finite components above ~1e154).

    >>> import jax.numpy as jnp
    >>> [float(v) for v in clip_by_norm(jnp.array([3.0, 4.0]), 1.0)]
    [0.6000000000000001, 0.8]
    >>> float(clip_by_norm(jnp.array([1e200, 0.0]), jnp.inf)[0])  # ‖g‖ overflows; no clipping keeps g
    1e+200
    """
    g_norm = norm2(g)
    kept = (g_norm < max_norm) | (max_norm == jnp.inf)
    return jax.tree.map(lambda g_i: jnp.where(kept, g_i, (g_i / g_norm) * max_norm), g)


def when(flag, fn: Callable, value):
    """fn(value) if `flag`, else value. A traced flag is a `lax.cond`: one flag for all the runs of a call (not
    batched by vmap) is a branch, and the work it skips is not done.

    >>> when(False, lambda v: v + 1, 1), when(True, lambda v: v + 1, 1)
    (1, 2)
    """
    if isinstance(flag, bool):
        return fn(value) if flag else value
    return jax.lax.cond(flag, fn, lambda v: v, value)


def gradient_noise(seed, k):
    """ξ_k ~ N(0, I) in 2D for step k of the run seeded `seed`: normal(fold_in(key(seed), k))."""
    return jax.random.normal(jax.random.fold_in(jax.random.key(seed), k), (2,), dtype=jnp.float64)


def start_state(optimizer: Callable[[Any], optax.GradientTransformation], lookahead: bool, start) -> State:
    """The state at θ_0 = `start` (lookahead: slow and fast weights both at the start)."""
    params = optax.LookaheadParams.init_synced(start) if lookahead else start
    return State(params, optimizer(1.0).init(params), initial_state())


def state_fields(opt_state, params, lookahead: bool) -> dict:
    """The optimizer's state as optax names it: every field of its state's named tuples that has the weights'
    shape (a step count is left out), e.g. {"mu": m, "nu": v} for Adam, {"trace": m} for momentum, {} for SGD;
    lookahead: its inner optimizer's fields, and its slow weights as "slow".

    >>> import jax.numpy as jnp, optax
    >>> sorted(state_fields(optax.amsgrad(0.1).init(jnp.zeros(2)), jnp.zeros(2), False))
    ['mu', 'nu', 'nu_max']
    """
    weights = params.fast if lookahead else params
    fields = {}

    def walk(node):
        for name, value in zip(getattr(node, "_fields", [None] * len(node)), node):
            if isinstance(value, tuple):
                walk(value)
            elif name is not None and getattr(value, "shape", None) == weights.shape:
                assert name not in fields, f"two state fields named {name}"
                fields[name] = value

    walk(opt_state if isinstance(opt_state, tuple) else (opt_state,))
    if lookahead:
        fields["slow"] = params.slow
    return fields


def trajectory_step(f: Callable, optimizer: Callable[[Any], optax.GradientTransformation], lookahead: bool,
                    with_plateau: bool, state: State, options: StepOptions, lr_k, xi_k,
                    internals: bool = False) -> tuple[State, Seen]:
    """Step k of one run: the new state and what the step saw. `optimizer(rate)` builds the transformation;
    `lookahead`, `with_plateau` and `internals` are static (each compiles its own loop)."""
    point = state.params.slow if lookahead else state.params
    grad_point = state.params.fast if lookahead else point
    loss_g, g = jax.value_and_grad(f)(grad_point)
    xi = (xi_k[0], xi_k[1]) if isinstance(g, tuple) else xi_k  # the weights' layout: an array or a pair
    with_noise = when(options.work.noisy,
                      lambda g: jax.tree.map(lambda g_i, xi_i: g_i + options.noise_std * xi_i, g, xi), g)
    clipped = when(options.work.clipping, lambda g: clip_by_norm(g, options.clip), with_noise)
    if with_plateau:
        plateau_state, scale = plateau_step(state.plateau, loss_g, options.plateau, lr_k)
        rate = lr_k * scale
    else:
        plateau_state, rate = state.plateau, lr_k
    updates, opt_state = optimizer(rate).update(clipped, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    loss = f(point) if lookahead else loss_g
    inside = None
    if internals:
        moved = params.fast if lookahead else params
        inside = {"update": moved - grad_point, "state": state_fields(opt_state, params, lookahead)}
    return State(params, opt_state, plateau_state), Seen(point, grad_point, loss, g, rate, inside)
