"""Cyclical schedules: Smith's triangular family, SGDR, LRBench's sines, ssgdr, ESPNetv2's
sawtooth.

Example:
    >>> import jax.numpy as jnp
    >>> from app.schedules import SCHEDULES
    >>> tri = SCHEDULES["triangular"]
    >>> [round(float(v), 4) for v in tri.fn(jnp.array([0., 50., 100., 200.]),
    ...                                     {"base_lr": 0.01, "max_lr": 0.1, "step_size": 100}, 1000)]
    [0.01, 0.055, 0.1, 0.01]
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from ..vocabulary.params import Derived, Param

from .base import Schedule, base_below_max, base_max_params, lr_param, steps_param


def _triangle(k, p):
    cycle = jnp.floor(1 + k / (2 * p["step_size"]))
    x = jnp.abs(k / p["step_size"] - 2 * cycle + 1)
    return cycle, jnp.maximum(0.0, 1 - x)


def triangular(k, p, T):
    """cycle = ⌊1 + k/(2Δt)⌋, x = |k/Δt − 2·cycle + 1|, η = η_base + (η_max − η_base)·max(0, 1 − x)."""
    _, height = _triangle(k, p)
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * height


def triangular2(k, p, T):
    """As triangular, the amplitude halved every cycle: × 1/2^{cycle−1}."""
    cycle, height = _triangle(k, p)
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * height / 2 ** (cycle - 1)


def exp_range(k, p, T):
    """As triangular, the amplitude × γ^k (k the total step count)."""
    _, height = _triangle(k, p)
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * height * p["gamma"] ** k


def sgdr(k, p, T):
    """Cosine with warm restarts: cycle i lasts T_i = T0·T_mult^i with peak η0·m^i;
    η(k) = η_min + (η0·m^i − η_min)·½(1 + cos(π·t_cur/T_i)), t_cur the step within cycle i."""
    T0, mult = p["T0"], p["T_mult"]
    geometric = mult > 1
    mult_safe = jnp.where(geometric, mult, 2.0)

    def start(i):  # first step of cycle i
        return jnp.where(geometric, T0 * (mult_safe**i - 1) / (mult_safe - 1), T0 * i)

    guess = jnp.where(geometric, jnp.floor(jnp.log1p(k * (mult_safe - 1) / T0) / jnp.log(mult_safe)),
                      jnp.floor(k / T0))
    # the logarithm can land a hair below an integer at a boundary: settle the cycle on exact starts
    i = guess + (k >= start(guess + 1)) - (k < start(guess))
    length = T0 * jnp.where(geometric, mult_safe**i, 1.0)
    t_cur = k - start(i)
    peak = p["lr"] * p["m_mul"] ** i
    return p["min_lr"] + (peak - p["min_lr"]) * 0.5 * (1 + jnp.cos(jnp.pi * t_cur / length))


def _sgdr_optax(v, T):
    cycles, start, i = [], 0, 0
    while start < T:
        length = int(round(v["T0"] * v["T_mult"] ** i))
        peak = v["lr"] * v["m_mul"] ** i
        cycles.append(dict(init_value=peak, peak_value=peak, warmup_steps=0, decay_steps=length,
                           end_value=v["min_lr"]))
        start, i = start + length, i + 1
    return optax.sgdr_schedule(cycles)


def _sine(k, p):
    return jnp.abs(jnp.sin(jnp.pi * k / (2 * p["step_size"])))


def sin(k, p, T):
    """η = η_base + (η_max − η_base)·|sin(π·k/(2l))| (LRBench SIN)."""
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * _sine(k, p)


def sin2(k, p, T):
    """As sin, the amplitude halved every full period 2l (LRBench SIN2)."""
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * _sine(k, p) / 2 ** jnp.floor(k / (2 * p["step_size"]))


def sinexp(k, p, T):
    """As sin, the amplitude × γ^k (LRBench SINEXP)."""
    return p["base_lr"] + (p["max_lr"] - p["base_lr"]) * _sine(k, p) * p["gamma"] ** k


def ssgdr(k, p, T):
    """η(k) = η0·α^⌊k/T_s⌋·½(1 + cos(π·(k mod T_s)/T_s)) (reconstruction; = sgdr with restart decay)."""
    Ts = p["step_size"]
    return p["lr"] * p["gamma"] ** jnp.floor(k / Ts) * 0.5 * (1 + jnp.cos(jnp.pi * jnp.mod(k, Ts) / Ts))


def sawtooth(k, p, T):
    """η(k) = η_max − (k mod C)·η_min: from η_max down to η_max − (C−1)·η_min in each cycle of C steps."""
    return p["lr"] - jnp.mod(k, p["cycle_len"]) * p["lr_min"]


def sawtooth_check(v, T):
    """lr_min ≤ lr/(cycle_len − 1), so the rate stays ≥ 0."""
    lowest = v["lr"] - (v["cycle_len"] - 1) * v["lr_min"]
    if lowest < 0:
        return [("lr_min", f"must be at most lr/(cycle_len − 1) = {v['lr'] / (v['cycle_len'] - 1):g} so the rate "
                 f"stays ≥ 0, got {v['lr_min']:g}")]
    return []


CYCLE_STEP = steps_param("step_size", 0.1, "T/10", "half-cycle length Δt (Smith: 2-10 epochs of iterations)")
GAMMA = Param("gamma", "amplitude decay γ per step", 0.998, min=0, max=1, min_exclusive=True)
SMITH = "Smith 2017 (CLR); torch CyclicLR(cycle_momentum=False). The survey's eq. (4) is garbled."
LRBENCH = "Wu et al. 2019 (LRBench)."

SCHEDULES = (
    Schedule("triangular", "Cyclical triangular", "cyclical",
             "η = η_base + (η_max − η_base)·max(0, 1 − |k/Δt − 2⌊1 + k/(2Δt)⌋ + 1|)", SMITH,
             base_max_params() + (CYCLE_STEP,), triangular, check=base_below_max),
    Schedule("triangular2", "Cyclical triangular2", "cyclical",
             "triangular with the amplitude × 1/2^{c−1}, c = ⌊1 + k/(2Δt)⌋ the cycle", SMITH,
             base_max_params() + (CYCLE_STEP,), triangular2, check=base_below_max),
    Schedule("exp_range", "Cyclical exp_range", "cyclical",
             "triangular with the amplitude × γ^k (k the total step count)", SMITH,
             base_max_params() + (CYCLE_STEP, GAMMA), exp_range, check=base_below_max),
    Schedule(
        "sgdr", "SGDR (cosine warm restarts)", "cyclical",
        "η(k) = η_min + (η0·m^i − η_min)·½(1 + cos(π·t_cur/T_i)), T_i = T0·T_mult^i",
        "Loshchilov & Hutter 2017. optax.sgdr_schedule (explicit cycles); torch CosineAnnealingWarmRestarts (no "
        "restart decay). The survey's cosineclc_lr is T0 = T/5, T_mult = 1, m_mul = 1.",
        (lr_param(doc="peak of the first cycle η0"),
         steps_param("T0", 0.2, "T/5", "length of the first cycle"),
         Param("T_mult", "cycle length multiplier", 1.0, min=1, max=10),
         Param("m_mul", "peak multiplier per restart (restart decay)", 1.0, min=0, max=1, min_exclusive=True),
         Param("min_lr", "floor η_min", 0.0, min=0, max=10, scale="log")),
        sgdr,
        optax_fn=_sgdr_optax,
    ),
    Schedule("sin", "Sine (SIN)", "cyclical", "η = η_base + (η_max − η_base)·|sin(πk/(2l))|", LRBENCH,
             base_max_params() + (CYCLE_STEP,), sin, check=base_below_max),
    Schedule("sin2", "Sine halving (SIN2)", "cyclical", "sin with the amplitude × 1/2^⌊k/(2l)⌋", LRBENCH,
             base_max_params() + (CYCLE_STEP,), sin2, check=base_below_max),
    Schedule("sinexp", "Sine exponential (SINEXP)", "cyclical", "sin with the amplitude × γ^k", LRBENCH,
             base_max_params() + (CYCLE_STEP, GAMMA), sinexp, check=base_below_max),
    Schedule(
        "ssgdr", "Step + SGDR", "cyclical", "η(k) = η0·α^⌊k/T_s⌋·½(1 + cos(π·(k mod T_s)/T_s))",
        "Yang et al. 2017, reconstructed (the paper could not be read): equal to sgdr with restart decay.",
        (lr_param(), steps_param("step_size", 0.2, "T/5", "period T_s"),
         Param("gamma", "decay α per period", 0.5, min=0, max=1, min_exclusive=True)),
        ssgdr,
    ),
    Schedule(
        "sawtooth_espnetv2", "Sawtooth (ESPNetv2)", "cyclical", "η(k) = η_max − (k mod C)·η_min",
        "ESPNetv2 (the survey's 'triangle'): a linear fall within each cycle of C steps, then a restart.",
        (lr_param(doc="η_max, the rate at the start of each cycle"),
         Param("cycle_len", "cycle length C", 5, kind="int", min=2, max=100000, unit="steps"),
         Param("lr_min", "step size η_min of the fall (= η_max/C in the reference code)",
               Derived("lr/cycle_len", lambda T, p: p["lr"] / p["cycle_len"], ("lr", "cycle_len")), min=0, max=10, scale="log")),
        sawtooth,
        check=sawtooth_check,
    ),
)
