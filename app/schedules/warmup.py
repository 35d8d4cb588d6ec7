"""Warmup-shaped schedules: slanted triangular, 1cycle (torch and the survey's), long
trapezoid, constant warmup, linear warmup, warmup + cosine.

Example:
    >>> import jax.numpy as jnp
    >>> from app.schedules import SCHEDULES
    >>> w = SCHEDULES["linear_warmup"]
    >>> [round(float(v), 4) for v in w.fn(jnp.array([0., 50., 100., 200.]),
    ...                                   {"lr": 0.1, "warmup": 100, "init_lr": 0.0}, 1000)]
    [0.0, 0.05, 0.1, 0.1]
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from ..vocabulary.params import Param

from .base import Schedule, lr_param, steps_param


def _ramp(k, start_value, end_value, steps):
    """optax.linear_schedule: start + (end − start)·min(k, steps)/steps, written as optax computes it."""
    count = jnp.clip(k, 0, steps)
    return (start_value - end_value) * (1 - count / steps) + end_value


def slanted_triangular(k, p, T):
    """cut = ⌊T·cut_frac⌋; p = k/cut for k < cut, else 1 − (k − cut)/(cut·(1/cut_frac − 1));
    η = η_max·(1 + p(ratio − 1))/ratio (Howard & Ruder 2018 eq. 3)."""
    cut = jnp.maximum(jnp.floor(T * p["cut_frac"]), 1)
    frac = jnp.where(k < cut, k / cut, 1 - (k - cut) / (cut * (1 / p["cut_frac"] - 1)))
    return p["lr"] * (1 + frac * (p["ratio"] - 1)) / p["ratio"]


def one_cycle(k, p, T):
    """torch OneCycleLR. Two phases: η_max/div → η_max over [0, pct·T − 1], then → η_max/div/final_div at T − 1.
    three_phase: up, back down to η_max/div by 2·pct·T − 2, then to the final value. Cosine or linear annealing.
    """
    initial = p["max_lr"] / p["div_factor"]
    final = initial / p["final_div_factor"]
    three = p["three_phase"] > 0
    e1 = p["pct_start"] * T - 1
    e2 = jnp.where(three, 2 * p["pct_start"] * T - 2, T - 1)
    e3 = T - 1.0
    # phase i covers (start_i, end_i]; the last phase takes everything after its start
    in1 = k <= e1
    in2 = (~in1) & ((k <= e2) | ~three)
    start_step = jnp.where(in1, 0.0, jnp.where(in2, e1, e2))
    end_step = jnp.where(in1, e1, jnp.where(in2, e2, e3))
    a = jnp.where(in1, initial, jnp.where(in2, p["max_lr"], initial))
    b = jnp.where(in1, p["max_lr"], jnp.where(in2, jnp.where(three, initial, final), final))
    pct = (k - start_step) / (end_step - start_step)
    cos = b + (a - b) / 2 * (1 + jnp.cos(jnp.pi * pct))
    lin = (b - a) * pct + a
    return jnp.where(p["anneal_strategy"] > 0, lin, cos)


def _phases_fit(v, T):
    """warmup_frac + cooldown_frac ≤ 1."""
    if v["warmup_frac"] + v["cooldown_frac"] > 1:
        return [("cooldown_frac", "warmup_frac + cooldown_frac must be at most 1")]
    return []


def one_cycle_check(v, T):
    """pct_start·T ≥ 2, and each phase at least one step long (pct_start below about 0.5 with three_phase)."""
    errors = []
    if v["pct_start"] * T - 1 < 1:
        errors.append(("pct_start", f"leaves no warmup phase at T = {T}: pct_start·T must be at least 2"))
    if v["three_phase"] and 2 * v["pct_start"] * T - 2 >= T - 1:
        errors.append(("pct_start", "must be below about 0.5 with three_phase: the third phase would be empty"))
    elif not v["three_phase"] and v["pct_start"] * T - 1 >= T - 1:
        errors.append(("pct_start", "leaves no annealing phase"))
    return errors


def one_cycle_paper(k, p, T):
    """The survey's eq. (7) (nachiket273 OneCycle), 0-based: L = ⌊T(1 − prcnt/100)/2⌋;
    up for k ≤ L, down for k ≤ 2L (r from 0 to 1 and back, η = η_max(1 + r(div − 1))/div), then
    η = η_max(1 − 0.99r)/div with r = (k − 2L)/(T − 2L)."""
    L = jnp.floor(T * (1 - p["prcnt"] / 100) / 2)
    L_safe = jnp.maximum(L, 1)
    r_cycle = jnp.where(k <= L, k / L_safe, 1 - (k - L) / L_safe)
    r_tail = (k - 2 * L) / (T - 2 * L)
    cycle = p["lr"] * (1 + r_cycle * (p["div"] - 1)) / p["div"]
    tail = p["lr"] * (1 - 0.99 * r_tail) / p["div"]
    return jnp.where(k <= 2 * L, cycle, tail)


def long_trapezoid(k, p, T):
    """Linear warmup η_min → η0 over w = warmup_frac·T, hold, then linear η0 → η_min over the last
    c = cooldown_frac·T steps (the WSD shape). A constructed schedule: the survey gives no formula."""
    w = p["warmup_frac"] * T
    c = p["cooldown_frac"] * T
    decay_start = T - c
    up = _ramp(k, p["min_lr"], p["lr"], jnp.maximum(w, 1e-300))
    down = _ramp(k - decay_start, p["lr"], p["min_lr"], jnp.maximum(c, 1e-300))
    return jnp.where(k < w, up, jnp.where(k < decay_start, p["lr"], down))


def constant_warmup(k, p, T):
    """η(k) = f·η0 for k < w, else η0 (He et al. 2016)."""
    return jnp.where(k < p["warmup"], p["warmup_factor"] * p["lr"], p["lr"])


def linear_warmup(k, p, T):
    """η(k) = η_init + (η0 − η_init)·min(k, w)/w (Goyal et al. 2017; optax.warmup_constant_schedule)."""
    return _ramp(k, p["init_lr"], p["lr"], p["warmup"])


def warmup_cosine(k, p, T):
    """Linear η_init → η0 over w, then η_end + (η0 − η_end)·½(1 + cos(π·(k − w)/(T − w)))
    (optax.warmup_cosine_decay_schedule with decay_steps = T, which includes the warmup)."""
    w = p["warmup"]
    alpha = jnp.where(p["lr"] == 0, 0.0, p["end_lr"] / p["lr"])
    decay = jnp.maximum(T - w, 1)
    count = jnp.minimum(k - w, decay)
    cosine = p["lr"] * ((1 - alpha) * 0.5 * (1 + jnp.cos(jnp.pi * count / decay)) + alpha)
    return jnp.where(k < w, _ramp(k, p["init_lr"], p["lr"], w), cosine)


PCT_START = Param("pct_start", "fraction of T spent warming up", 0.3, min=0, max=1, min_exclusive=True,
                  max_exclusive=True)

SCHEDULES = (
    Schedule(
        "slanted_triangular", "Slanted triangular (ULMFiT)", "warmup",
        "η = η_max·(1 + p(ratio − 1))/ratio; cut = ⌊T·cut_frac⌋, p = k/cut for k < cut, else "
        "1 − (k − cut)/(cut·(1/cut_frac − 1))",
        "Howard & Ruder 2018 eq. 3 (the survey's denominator is garbled).",
        (lr_param(doc="peak η_max"),
         Param("cut_frac", "fraction of T spent rising", 0.1, min=0, max=1, min_exclusive=True, max_exclusive=True),
         Param("ratio", "how much smaller the lowest rate is than the peak", 32.0, min=1, max=1e6)),
        slanted_triangular,
    ),
    Schedule(
        "one_cycle", "1cycle (Smith & Topin)", "warmup",
        "anneal η_max/div → η_max over k ∈ [0, pct·T − 1], then → η_max/(div·final_div) at k = T − 1 "
        "(three_phase: back to η_max/div at 2·pct·T − 2 first); anneal from a to b: b + (a − b)·½(1 + cos πq) "
        "or a + (b − a)q, q the fraction of the phase",
        "torch OneCycleLR (cycle_momentum off). optax.cosine_onecycle_schedule reaches the end one step later.",
        (Param("max_lr", "peak learning rate", 0.01, min=0, max=10, min_exclusive=True, scale="log"), PCT_START,
         Param("div_factor", "initial rate = max_lr/div_factor", 25.0, min=1, max=1e6),
         Param("final_div_factor", "final rate = initial/final_div_factor", 1e4, min=1, max=1e9, scale="log"),
         Param("three_phase", "the paper's shape: back down to the initial rate, then annihilate", False,
               kind="bool"),
         Param("anneal_strategy", "shape of each phase", "cos", kind="choice", choices=("cos", "linear"))),
        one_cycle,
        check=one_cycle_check,
    ),
    Schedule(
        "one_cycle_paper", "1cycle (survey eq. 7)", "warmup",
        "L = ⌊T(1 − prcnt/100)/2⌋; η = η_max(1 + r(div − 1))/div, r = k/L for k ≤ L, 1 − (k − L)/L for "
        "k ≤ 2L; then η = η_max(1 − 0.99r)/div, r = (k − 2L)/(T − 2L)",
        "The survey's eq. (7) = nachiket273/One_Cycle_Policy, with a 0-based step.",
        (lr_param(doc="peak η_max"),
         Param("prcnt", "percent of T left for the final annihilation", 10.0, min=0, max=100, max_exclusive=True),
         Param("div", "the cycle runs between η_max/div and η_max", 10.0, min=1, max=1e6)),
        one_cycle_paper,
    ),
    Schedule(
        "long_trapezoid", "Long trapezoid (warmup-stable-decay)", "warmup",
        "w = warmup_frac·T, c = cooldown_frac·T; η = η_min + (η0 − η_min)·k/w for k < w, η0 until T − c, "
        "then η0 − (η0 − η_min)·min(k − (T − c), c)/c",
        "Constructed: the survey gives no formula; timm WSDLRScheduler(decay_fn='linear').",
        (lr_param(), Param("warmup_frac", "fraction of T warming up", 0.1, min=0, max=1, max_exclusive=True),
         Param("cooldown_frac", "fraction of T cooling down", 0.2, min=0, max=1, max_exclusive=True),
         Param("min_lr", "start and end rate η_min", 0.0, min=0, max=10, scale="log")),
        long_trapezoid,
        check=_phases_fit,
        optax_fn=lambda v, T: optax.join_schedules(
            [optax.linear_schedule(v["min_lr"], v["lr"], v["warmup_frac"] * T), optax.constant_schedule(v["lr"]),
             optax.linear_schedule(v["lr"], v["min_lr"], v["cooldown_frac"] * T)],
            [v["warmup_frac"] * T, T - v["cooldown_frac"] * T]),
    ),
    Schedule(
        "constant_warmup", "Constant warmup", "warmup", "η(k) = f·η0 for k < w, else η0",
        "He et al. 2016 (ResNet-110: 0.01 then 0.1). torch ConstantLR.",
        (lr_param(), steps_param("warmup", 0.1, "T/10", "warmup length w"),
         Param("warmup_factor", "fraction f of η0 during warmup", 0.1, min=0, max=1, min_exclusive=True)),
        constant_warmup,
        optax_fn=lambda v, T: optax.piecewise_constant_schedule(v["warmup_factor"] * v["lr"],
                                                                {v["warmup"]: 1 / v["warmup_factor"]}),
    ),
    Schedule(
        "linear_warmup", "Linear warmup", "warmup", "η(k) = η_init + (η0 − η_init)·min(k, w)/w",
        "Goyal et al. 2017. optax.warmup_constant_schedule. With T_range = T it is Smith's LR range test.",
        (lr_param(doc="rate η0 reached at w and held"), steps_param("warmup", 0.1, "T/10", "warmup length w"),
         Param("init_lr", "starting rate η_init", 0.0, min=0, max=10, scale="log")),
        linear_warmup,
        optax_fn=lambda v, T: optax.warmup_constant_schedule(v["init_lr"], v["lr"], v["warmup"]),
    ),
    Schedule(
        "warmup_cosine", "Linear warmup + cosine", "warmup",
        "linear η_init → η0 over w, then η_end + (η0 − η_end)·½(1 + cos(π(k − w)/(T − w)))",
        "The survey's lwarmcosine_lr (its eq. 8 is garbled); optax.warmup_cosine_decay_schedule; HF "
        "get_cosine_schedule_with_warmup.",
        (lr_param(doc="peak η0"), steps_param("warmup", 0.1, "T/10", "warmup length w"),
         Param("init_lr", "starting rate η_init", 0.0, min=0, max=10, scale="log"),
         Param("end_lr", "final rate η_end", 0.0, min=0, max=10, scale="log")),
        warmup_cosine,
        optax_fn=lambda v, T: optax.warmup_cosine_decay_schedule(v["init_lr"], v["lr"], v["warmup"], T, v["end_lr"]),
    ),
)
