"""Piecewise schedules: constant, step, multistep, linear decay then hold, plateau.

Example:
    >>> import jax.numpy as jnp
    >>> from app.schedules import SCHEDULES
    >>> step = SCHEDULES["step"]
    >>> [float(v) for v in step.fn(jnp.array([0., 249., 250.]), {"lr": 0.1, "step_size": 250, "gamma": 0.5}, 1000)]
    [0.1, 0.1, 0.05]
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from ..vocabulary.limits import MAX_LIST_LENGTH
from ..vocabulary.params import Derived, Param, param_fraction
from .base import Schedule, lr_param, steps_param


def constant(k, p, T):
    """η(k) = η0."""
    return jnp.full_like(k, p["lr"])


def step(k, p, T):
    """η(k) = η0 · γ^⌊k/Δt⌋ (switches at k = Δt, as optax and torch)."""
    return p["lr"] * p["gamma"] ** jnp.floor(k / p["step_size"])


def multistep(k, p, T):
    """η(k) = η0 · Π_{i: k ≥ t_i} α_i, with α_i = `factors[i]` when given, else γ."""
    milestones, count = p["milestones"], p["milestones__len"]
    slots = jnp.arange(milestones.shape[0])
    factors = jnp.where(p["factors__len"] > 0, p["factors"], p["gamma"])
    active = (slots[None, :] < count) & (k[:, None] >= milestones[None, :])
    return p["lr"] * jnp.prod(jnp.where(active, factors[None, :], 1.0), axis=1)


def multistep_check(p, T):
    """milestones strictly increasing; factors (when given) one per milestone."""
    errors = []
    m = p["milestones"]
    if any(b <= a for a, b in zip(m, m[1:])):
        errors.append(("milestones", f"must be strictly increasing, got {m}"))
    if p["factors"] is not None and len(p["factors"]) != len(m):
        errors.append(("factors", f"must have one factor per milestone ({len(m)}), got {len(p['factors'])}"))
    return errors


def linear(k, p, T):
    """η(k) = (1 − k/t1)·η0 + (k/t1)·η1 for k < t1, then η1 (optax.linear_schedule)."""
    count = jnp.clip(k, 0, p["t1"])
    return (p["lr"] - p["end_lr"]) * (1 - count / p["t1"]) + p["end_lr"]


PLATEAU_PARAMS = (
    Param("factor", "multiply the learning rate by this when the loss plateaus", 0.5, min=0, max=1,
          min_exclusive=True, max_exclusive=True),
    Param("patience", "bad steps tolerated before a reduction", 10, kind="int", min=1, max=100000, unit="steps"),
    Param("rtol", "relative improvement needed: m < best·(1 − rtol) − atol", 1e-4, min=0, max=1),
    Param("atol", "absolute improvement needed (use it on surfaces with negative losses)", 0.0, min=0, max=1e6),
    Param("cooldown", "steps after a reduction during which bad steps are not counted", 0, kind="int", min=0,
          max=100000, unit="steps"),
    Param("accumulation_size", "average the loss over this many steps before each decision (the survey's Δt)", 1,
          kind="int", min=1, max=100000, unit="steps"),
    Param("convention", "torch: reduce after patience+1 bad steps, from the next step, and stop when the change "
          "is below 1e-8; optax: reduce after patience bad steps, on the same step", "torch", kind="choice",
          choices=("torch", "optax")),
)


def plateau_check(p, T):
    """rtol or atol above 0."""
    if p["rtol"] == 0 and p["atol"] == 0:
        return [("rtol", "rtol or atol must be positive, else no step ever counts as an improvement")]
    return []


SCHEDULES = (
    Schedule("constant", "Constant", "constant", "η(k) = η0", "Kuan & Hornik 1991. optax.constant_schedule.",
             (lr_param(),), constant, optax_fn=lambda v, T: optax.constant_schedule(v["lr"])),
    Schedule(
        "step", "Step decay", "piecewise", "η(k) = η0 · γ^⌊k/Δt⌋",
        "Krizhevsky et al. 2012. optax.exponential_decay(staircase=True); torch StepLR. The new value takes effect "
        "at k = Δt (TF's piecewise_constant switches one step later).",
        (lr_param(), steps_param("step_size", 0.2, "T/5", "interval Δt between decays"),
         Param("gamma", "decay factor α per interval", 0.5, min=0, max=1, min_exclusive=True)),
        step,
        optax_fn=lambda v, T: optax.exponential_decay(v["lr"], v["step_size"], v["gamma"], staircase=True),
    ),
    Schedule(
        "multistep", "Multi-step decay", "piecewise", "η(k) = η0 · Π_{i: k ≥ t_i} α_i",
        "Han et al. 2017. optax.piecewise_constant_schedule; torch MultiStepLR.",
        (lr_param(),
         Param("milestones", "steps t_i at which the rate is multiplied (strictly increasing, inside (0, T))",
               Derived("[T/2, 3T/4]", lambda T, p: [0.5 * T, 0.75 * T]), kind="int_list", min=0, max="T",
               min_exclusive=True, max_exclusive=True, max_length=MAX_LIST_LENGTH, unit="steps"),
         Param("gamma", "factor applied at every milestone (when `factors` is null)", 0.1, min=0, max=1,
               min_exclusive=True),
         Param("factors", "one factor per milestone (the survey's α_i); null: γ at every milestone", None,
               kind="float_list", min=0, max=10, nullable=True, max_length=MAX_LIST_LENGTH)),
        multistep,
        optax_fn=lambda v, T: optax.piecewise_constant_schedule(
            v["lr"], {int(t): (v["factors"][i] if v["factors"] else v["gamma"]) for i, t in enumerate(v["milestones"])}),
        check=multistep_check,
    ),
    Schedule(
        "linear", "Linear decay then hold", "piecewise", "η(k) = (1 − k/t1)·η0 + (k/t1)·η1 for k < t1, else η1",
        "Goodfellow et al. §8.3.1; Li et al. 2019 (budgeted training). optax.linear_schedule.",
        (lr_param(), Param("end_lr", "rate η1 reached at t1 and held", param_fraction("lr", 0.01, "0.01·lr"), min=0, max=10, scale="log"),
         steps_param("t1", 0.5, "T/2", "step at which η1 is reached")),
        linear,
        optax_fn=lambda v, T: optax.linear_schedule(v["lr"], v["end_lr"], v["t1"]),
    ),
    Schedule(
        "plateau", "Reduce on plateau", "piecewise",
        "η(k) = η0 · s_k; s ← max(s·factor, min_lr/η0) after `patience` losses (torch: patience + 1) "
        "without improvement, an improvement being f(θ_k) < best·(1 − rtol) − atol",
        "He et al. 2016 (×0.1 whenever training plateaus). The metric is the exact loss f(θ_k) before update k. "
        "Stateful: resolved inside the trajectory. On surfaces with negative losses use atol (rtol compares "
        "relative to a negative best). Same as the per-run `plateau` option over a constant schedule.",
        (lr_param(),) + PLATEAU_PARAMS + (
            Param("min_lr", "the rate is never reduced below this", 0.0, min=0, max=10, scale="log"),),
        constant,
        check=plateau_check,
        stateful=True,
    ),
)
