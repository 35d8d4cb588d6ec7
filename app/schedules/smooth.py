"""Smooth decays: exponential, natural_exp, polynomial, inverse_time, inverse_sqrt, noam,
cosine, linear_cosine, noisy_linear_cosine, htd, exp_cosine.

Booleans and choices arrive as 0/1 numbers so that flipping them recompiles nothing.

Example:
    >>> import jax.numpy as jnp
    >>> from app.schedules import SCHEDULES
    >>> cos = SCHEDULES["cosine"]
    >>> [round(float(v), 6) for v in cos.fn(jnp.array([0., 500., 1000.]), {"lr": 0.1, "decay_steps": 1000,
    ...                                         "alpha": 0.0, "exponent": 1.0}, 1000)]
    [0.1, 0.05, 0.0]
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from ..vocabulary.params import Derived, Param, param_fraction

from .base import Schedule, lr_param, steps_param


def _progress(k, p):
    """k/D, floored when `staircase`."""
    ratio = k / p["decay_steps"]
    return jnp.where(p["staircase"] > 0, jnp.floor(ratio), ratio)


def exponential(k, p, T):
    """η(k) = η0 · α^{(k − begin)/D} (floored when staircase), η0 before `transition_begin`, bounded by
    `end_value` (a floor when α < 1, a ceiling when α > 1). Same as optax.exponential_decay."""
    count = k - p["transition_begin"]
    ratio = count / p["decay_steps"]
    ratio = jnp.where(p["staircase"] > 0, jnp.floor(ratio), ratio)
    value = jnp.where(count <= 0, p["lr"], p["lr"] * p["decay_rate"] ** ratio)
    end = p["end_value"]
    bounded = jnp.where(p["decay_rate"] < 1, jnp.maximum(value, end), jnp.minimum(value, end))
    return jnp.where(jnp.isnan(end), value, bounded)


def natural_exp(k, p, T):
    """η(k) = η0 · exp(−r)^{k/D} = η0·e^{−r k/D} (TF natural_exp_decay, computed as TF does)."""
    return p["lr"] * jnp.exp(-p["decay_rate"]) ** _progress(k, p)


def polynomial(k, p, T):
    """η(k) = (η0 − η_end)(1 − min(k, D)/D)^p + η_end; with `cycle` (TF): D_k = D·max(⌈k/D⌉, 1) and
    η(k) = (η0 − η_end)(1 − k/D_k)^p + η_end."""
    D = p["decay_steps"]
    plain = 1 - jnp.clip(k, 0, D) / D
    cycled = 1 - k / (D * jnp.maximum(jnp.ceil(k / D), 1))
    fraction = jnp.where(p["cycle"] > 0, cycled, plain)
    return (p["lr"] - p["end_lr"]) * fraction ** p["power"] + p["end_lr"]


def inverse_time(k, p, T):
    """η(k) = η0 / (1 + r·k/D) (⌊k/D⌋ when staircase); Bottou's η0/(1 + η0λk) with r/D = η0λ."""
    return p["lr"] / (1 + p["decay_rate"] * _progress(k, p))


def inverse_sqrt(k, p, T):
    """η(k) = η0 · sqrt(w / max(k, w)) (T5)."""
    return p["lr"] * jnp.sqrt(p["warmup"] / jnp.maximum(k, p["warmup"]))


def noam(k, p, T):
    """η(k) = η_peak · min((k+1)/w, sqrt(w/(k+1))); the peak is reached at k = w − 1."""
    n = k + 1
    return p["lr"] * jnp.minimum(n / p["warmup"], jnp.sqrt(p["warmup"] / n))


def cosine(k, p, T):
    """η(k) = η0·[(1−a)·(½(1 + cos(π·min(k,D)/D)))^p + a] (optax.cosine_decay_schedule)."""
    count = jnp.minimum(k, p["decay_steps"])
    factor = 0.5 * (1 + jnp.cos(jnp.pi * count / p["decay_steps"]))
    return p["lr"] * ((1 - p["alpha"]) * factor ** p["exponent"] + p["alpha"])


def _linear_cosine_parts(k, p):
    D = p["decay_steps"]
    clamped = jnp.minimum(k, D)
    linear = (D - clamped) / D
    cosine_part = 0.5 * (1 + jnp.cos(2 * jnp.pi * p["num_periods"] * clamped / D))
    return clamped, linear, cosine_part


def linear_cosine(k, p, T):
    """η(k) = η0·((a + lin)·cd + b), k' = min(k, D), lin = (D − k')/D, cd = ½(1 + cos(2π n k'/D)) (TF)."""
    _, lin, cd = _linear_cosine_parts(k, p)
    return p["lr"] * ((p["alpha"] + lin) * cd + p["beta"])


def noisy_linear_cosine(k, p, T):
    """η(k) = η0·((a + lin + ε_k)·cd + b), ε_k ~ N(0, v0/(1 + k')^vd) (a variance), clipped at 0.

    ε_k = sqrt(v0/(1+k')^vd) · normal(fold_in(key(seed), k)): the same seed always gives the same rates. The
    clip at 0 departs from TF, whose rate can go negative for small k.
    """
    clamped, lin, cd = _linear_cosine_parts(k, p)
    key = jax.random.key(p["seed"].astype(jnp.uint32))
    normals = jax.vmap(lambda step: jax.random.normal(jax.random.fold_in(key, step), dtype=jnp.float64))(
        k.astype(jnp.uint32))
    eps = jnp.sqrt(p["initial_variance"] / (1 + clamped) ** p["variance_decay"]) * normals
    return jnp.maximum(p["lr"] * ((p["alpha"] + lin + eps) * cd + p["beta"]), 0.0)


def htd(k, p, T):
    """η(k) = η_min + ½(η0 − η_min)(1 − tanh(L + (U − L)·min(k, T)/T)) (Hsueh et al. 2019)."""
    x = p["L"] + (p["U"] - p["L"]) * jnp.minimum(k, T) / T
    return p["min_lr"] + 0.5 * (p["lr"] - p["min_lr"]) * (1 - jnp.tanh(x))


def exp_cosine(k, p, T):
    """c = ½(1 + cos(π·min(k,T)/T)), p = (γ^{c+1} − γ)/(γ² − γ) (p = c when γ = 1),
    η(k) = η_min + (η0 − η_min)·p (Hundt et al., cosine power annealing)."""
    c = 0.5 * (1 + jnp.cos(jnp.pi * jnp.minimum(k, T) / T))
    g = p["gamma"]
    one = g == 1
    g_safe = jnp.where(one, 2.0, g)
    power = jnp.where(one, c, (g_safe ** (c + 1) - g_safe) / (g_safe**2 - g_safe))
    return p["min_lr"] + (p["lr"] - p["min_lr"]) * power


def _decay_steps(fraction, text):
    return Param("decay_steps", "decay horizon D", Derived(text, lambda T, p: fraction * T), kind="int", min=1,
                 max=1_000_000, unit="steps")


STAIRCASE = Param("staircase", "floor k/D (a staircase) instead of decaying smoothly", False, kind="bool")

_LINEAR_COSINE_PARAMS = (
    lr_param(),
    _decay_steps(1.0, "T"),
    Param("num_periods", "number of cosine periods over D", 0.5, min=0, max=100),
    Param("alpha", "offset a added to the linear part", 0.0, min=0, max=10),
    Param("beta", "floor b (relative to η0)", 0.001, min=0, max=10),
)


def _l_below_u(v, T):
    """L < U."""
    return [("U", f"must be greater than L ({v['L']:g})")] if v["U"] <= v["L"] else []


SCHEDULES = (
    Schedule(
        "exponential", "Exponential decay", "smooth", "η(k) = η0 · α^{k/D}",
        "TF exponential_decay; Ioffe & Szegedy 2015. optax.exponential_decay; torch ExponentialLR(γ = α^{1/D}).",
        (lr_param(), Param("decay_rate", "factor α per D steps (> 1 grows)", 0.5, min=0, max=10, min_exclusive=True),
         _decay_steps(0.2, "T/5"), STAIRCASE,
         Param("transition_begin", "hold η0 for this many steps first", 0, kind="int", min=0, max="T", unit="steps"),
         Param("end_value", "bound: a floor when α < 1, a ceiling when α > 1; null for none", None, min=0, max=10,
               nullable=True, scale="log")),
        exponential,
        optax_fn=lambda v, T: optax.exponential_decay(v["lr"], v["decay_steps"], v["decay_rate"],
                                                      v["transition_begin"], v["staircase"], v["end_value"]),
    ),
    Schedule(
        "natural_exp", "Natural exponential decay", "smooth", "η(k) = η0 · exp(−r·k/D)",
        "TF natural_exp_decay = ExponentialDecay with rate e^{−r}.",
        (lr_param(), Param("decay_rate", "rate r", 1.0, min=0, max=100, min_exclusive=True),
         _decay_steps(0.2, "T/5"), STAIRCASE),
        natural_exp,
        optax_fn=lambda v, T: optax.exponential_decay(v["lr"], v["decay_steps"], float(jnp.exp(-v["decay_rate"])),
                                                      staircase=v["staircase"]),
    ),
    Schedule(
        "polynomial", "Polynomial decay", "smooth", "η(k) = (η0 − η_end)(1 − min(k,D)/D)^p + η_end",
        "DeepLab 'poly' (p = 0.9); TF polynomial_decay. With cycle (TF), restarts at k = mD + 1 at a lower height. "
        "optax.polynomial_schedule (no cycle).",
        (lr_param(), Param("end_lr", "final rate η_end", param_fraction("lr", 1e-4, "1e-4·lr"), min=0, max=10,
                           scale="log"),
         Param("power", "exponent p", 2.0, min=0, max=100, min_exclusive=True),
         _decay_steps(1.0, "T"),
         Param("cycle", "TF's cycle: restart with D_k = D·⌈k/D⌉", False, kind="bool")),
        polynomial,
        optax_fn=lambda v, T: None if v["cycle"] else optax.polynomial_schedule(
            v["lr"], v["end_lr"], v["power"], v["decay_steps"]),
    ),
    Schedule(
        "inverse_time", "Inverse time decay", "smooth", "η(k) = η0 / (1 + r·k/D)",
        "Bottou 2012; TF inverse_time_decay.",
        (lr_param(), Param("decay_rate", "rate r", 1.0, min=0, max=1000, min_exclusive=True),
         _decay_steps(0.1, "T/10"), STAIRCASE),
        inverse_time,
    ),
    Schedule(
        "inverse_sqrt", "Inverse square root (T5)", "smooth", "η(k) = η0 · sqrt(w / max(k, w))",
        "Raffel et al. (T5): constant for k < w, then ∝ k^{−1/2} (not exponential, whatever the survey says).",
        (lr_param(), steps_param("warmup", 0.1, "T/10", "steps w held at η0")),
        inverse_sqrt,
    ),
    Schedule(
        "noam", "Noam (warmup + inverse sqrt)", "warmup", "η(k) = η_peak · min((k+1)/w, sqrt(w/(k+1)))",
        "Vaswani et al. 2017, peak-normalised: η_peak = d_model^{−1/2}·w^{−1/2} gives the original (7e−4 for "
        "512, 4000).",
        (lr_param(doc="peak learning rate, reached at k = w − 1"), steps_param("warmup", 0.1, "T/10", "warmup w")),
        noam,
    ),
    Schedule(
        "cosine", "Cosine decay", "smooth", "η(k) = η0·[(1−a)·(½(1 + cos(π·min(k,D)/D)))^p + a]",
        "Loshchilov & Hutter 2017, one cycle. optax.cosine_decay_schedule (alpha relative, clamped after D); torch "
        "CosineAnnealingLR rises again after T_max.",
        (lr_param(), _decay_steps(1.0, "T"),
         Param("alpha", "floor as a fraction of η0", 0.0, min=0, max=1, max_exclusive=True),
         Param("exponent", "power p of the cosine factor", 1.0, min=0, max=100, min_exclusive=True)),
        cosine,
        optax_fn=lambda v, T: optax.cosine_decay_schedule(v["lr"], v["decay_steps"], v["alpha"], v["exponent"]),
    ),
    Schedule(
        "linear_cosine", "Linear cosine decay", "smooth", "η(k) = η0·((a + (D−k')/D)·½(1 + cos(2πn·k'/D)) + b)",
        "TF linear_cosine_decay; Bello et al. 2017. The survey's formula misses the ½.",
        _LINEAR_COSINE_PARAMS,
        linear_cosine,
    ),
    Schedule(
        "noisy_linear_cosine", "Noisy linear cosine decay", "smooth",
        "η(k) = max(0, η0·((a + lin + ε_k)·cd + b)), ε_k ~ N(0, v0/(1+k')^vd)",
        "TF noisy_linear_cosine_decay, made reproducible by a seed, and clipped at 0 (TF's can go negative).",
        _LINEAR_COSINE_PARAMS + (
            Param("initial_variance", "variance v0 of the noise at k = 0", 1.0, min=0, max=100),
            Param("variance_decay", "decay vd of the variance", 0.55, min=0, max=10),
            Param("seed", "seed of the noise", 0, kind="int", min=0, max=2**32 - 1)),
        noisy_linear_cosine,
    ),
    Schedule(
        "htd", "Hyperbolic tangent decay", "smooth",
        "η(k) = η_min + ½(η0 − η_min)(1 − tanh(L + (U − L)·min(k,T)/T))",
        "Hsueh, Li & Wu, WACV 2019 (authors' code); timm TanhLRScheduler. Stays near η0 for long, then drops.",
        (lr_param(), Param("L", "lower bound of the tanh argument", -6.0, min=-100, max=100),
         Param("U", "upper bound of the tanh argument", 3.0, min=-100, max=100),
         Param("min_lr", "floor η_min", 0.0, min=0, max=10, scale="log")),
        htd,
        check=_l_below_u,
    ),
    Schedule(
        "exp_cosine", "Cosine power annealing", "smooth",
        "c = ½(1 + cos(π·min(k,T)/T)), η(k) = η_min + (η0 − η_min)·(γ^{c+1} − γ)/(γ² − γ)",
        "Hundt et al., sharpDARTS (survey eq. 2). γ = 1 is plain cosine.",
        (lr_param(), Param("gamma", "exponent order γ", 10.0, min=1, max=1000),
         Param("min_lr", "floor η_min", 0.0, min=0, max=10, scale="log")),
        exp_cosine,
    ),
)
