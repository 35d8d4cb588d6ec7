"""Every optimizer of docs/mathematics.md as an optax GradientTransformation, keyed by the ids the URL and JSON use.

`OPTIMIZERS[id].build(p, lr)` returns the optax transformation for hyperparameters `p` (traced scalars: a new value
recompiles nothing) and the learning rate `lr` of the current update. The transformation's state does not depend
on `lr`, so the trajectory kernel builds it once per step with that step's rate from the table; optax then
applies −η at the end exactly as `optax.adam(η)` would.

Example:
    >>> import jax.numpy as jnp
    >>> adam = OPTIMIZERS["adam"]
    >>> tx = adam.build(resolve_optimizer("adam", {}), 1e-3)
    >>> updates, _ = tx.update(jnp.array([1.0, -2.0]), tx.init(jnp.zeros(2)))
    >>> [round(float(u), 6) for u in updates]
    [-0.001, 0.001]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import optax

from ..vocabulary.params import Param, ParamErrors, resolve_params
from .lookahead import lookahead


@dataclass(frozen=True, eq=False)
class Optimizer:
    id: str
    title: str
    update: str  # the rule, in optax's semantics
    doc: str
    params: tuple[Param, ...]
    build: Callable[[Mapping[str, Any], Any], optax.GradientTransformation]


def _beta(name, default, doc):
    return Param(name, doc, default, min=0, max=1, max_exclusive=True)


def _eps(default, doc="ε added for numerical stability"):
    return Param("eps", doc, default, min=0, max=1, scale="log")


B1 = _beta("b1", 0.9, "decay β1 of the first moment")
B2 = _beta("b2", 0.999, "decay β2 of the second moment")
MOMENTUM = _beta("momentum", 0.9, "momentum β")


def _lookahead_build(p, lr):
    inner = OPTIMIZERS[p["inner"]["id"]].build(p["inner"]["params"], lr)
    return lookahead(inner, p["sync_period"], p["slow_step_size"])


ALL = (
    Optimizer("sgd", "SGD", "θ ← θ − η g", "optax.sgd; torch SGD.", (), lambda p, lr: optax.sgd(lr)),
    Optimizer(
        "momentum", "Momentum (heavy ball)", "m ← g + βm; θ ← θ − η m",
        "optax.sgd(momentum=β); torch SGD is identical. The rate sits outside the accumulator, so a drop in η "
        "rescales the whole velocity at once (Keras's v ← βv − ηg does not).",
        (MOMENTUM,), lambda p, lr: optax.sgd(lr, momentum=p["momentum"]),
    ),
    Optimizer(
        "nesterov", "Nesterov momentum", "m ← g + βm; θ ← θ − η(g + βm)",
        "optax.sgd(momentum=β, nesterov=True); torch SGD(nesterov=True) (Sutskever's form).",
        (MOMENTUM,), lambda p, lr: optax.sgd(lr, momentum=p["momentum"], nesterov=True),
    ),
    Optimizer(
        "adagrad", "Adagrad", "G ← G + g²; θ ← θ − η g/√(G + ε)",
        "Duchi et al. 2011. optax.adagrad (ε inside the root; torch puts it outside and starts G at 0).",
        (Param("initial_accumulator_value", "starting value of G", 0.1, min=0, max=100), _eps(1e-7)),
        lambda p, lr: optax.adagrad(lr, initial_accumulator_value=p["initial_accumulator_value"], eps=p["eps"]),
    ),
    Optimizer(
        "rmsprop", "RMSprop", "v ← ρv + (1−ρ)g²; θ ← θ − η g/√(v + ε)",
        "Hinton, lecture 6e. optax.rmsprop (ε inside the root; torch: outside, ρ = 0.99).",
        (_beta("decay", 0.9, "decay ρ of the squared-gradient average"), _eps(1e-8),
         Param("initial_scale", "starting value of v", 0.0, min=0, max=100)),
        lambda p, lr: optax.rmsprop(lr, decay=p["decay"], eps=p["eps"], initial_scale=p["initial_scale"]),
    ),
    Optimizer(
        "adam", "Adam",
        "m ← β1m + (1−β1)g; v ← β2v + (1−β2)g²; m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), t = k + 1; "
        "θ ← θ − η m̂/(√(v̂ + ε_root) + ε)",
        "Kingma & Ba 2015. optax.adam.",
        (B1, B2, _eps(1e-8), Param("eps_root", "ε added inside the root", 0.0, min=0, max=1, scale="log")),
        lambda p, lr: optax.adam(lr, b1=p["b1"], b2=p["b2"], eps=p["eps"], eps_root=p["eps_root"]),
    ),
    Optimizer(
        "adamw", "AdamW", "Adam's m̂, v̂; θ ← θ − η(m̂/(√v̂ + ε) + wd·θ) (weight decay decoupled from the gradient)",
        "Loshchilov & Hutter 2019. optax.adamw (torch's default wd is 0.01). On a 2D surface weight decay moves "
        "the fixed point toward the origin, away from the surface's minimum.",
        (B1, B2, _eps(1e-8), Param("weight_decay", "decoupled weight decay", 1e-4, min=0, max=10, scale="log")),
        lambda p, lr: optax.adamw(lr, b1=p["b1"], b2=p["b2"], eps=p["eps"], weight_decay=p["weight_decay"]),
    ),
    Optimizer(
        "amsgrad", "AMSGrad", "Adam's m̂, v̂; v̂max ← max(v̂max, v̂) (bias-corrected v̂); θ ← θ − η m̂/(√v̂max + ε)",
        "Reddi et al. 2018. optax.amsgrad (torch takes the max of the raw v: the numbers differ).",
        (B1, B2, _eps(1e-8)),
        lambda p, lr: optax.amsgrad(lr, b1=p["b1"], b2=p["b2"], eps=p["eps"]),
    ),
    Optimizer(
        "yogi", "Yogi",
        "m ← β1m + (1−β1)g; v ← v − (1−β2)·sign(v − g²)·g² (m, v start at initial_accumulator_value); "
        "bias-corrected m̂, v̂; θ ← θ − η m̂/(√v̂ + ε)",
        "Zaheer et al. 2018. optax.scale_by_yogi: optax starts BOTH moments at initial_accumulator_value (1e−6), "
        "which is why Yogi leaves an exact saddle line; 0 gives the paper's start and it stays.",
        (B1, B2, _eps(1e-3),
         Param("initial_accumulator_value", "starting value of m and v (optax 1e−6; the paper 0)", 1e-6, min=0,
               max=1, scale="log")),
        lambda p, lr: optax.chain(
            optax.scale_by_yogi(b1=p["b1"], b2=p["b2"], eps=p["eps"],
                                initial_accumulator_value=p["initial_accumulator_value"]),
            optax.scale_by_learning_rate(lr)),
    ),
    Optimizer(
        "radam", "RAdam",
        "Adam's m̂, v̂; ρ∞ = 2/(1−β2) − 1, ρ_t = ρ∞ − 2tβ2^t/(1−β2^t); θ ← θ − η r_t m̂/(√v̂ + ε) with "
        "r_t = √((ρ_t−4)(ρ_t−2)ρ∞/((ρ∞−4)(ρ∞−2)ρ_t)) when ρ_t ≥ threshold, else θ ← θ − η m̂",
        "Liu et al. 2020. optax.radam: the first ≈5 steps are momentum-SGD steps on the raw gradient, which can "
        "blow up with Adam-sized rates.",
        (B1, B2, _eps(1e-8), Param("threshold", "ρ_t needed before rectified Adam steps", 5.0, min=0, max=1000)),
        lambda p, lr: optax.radam(lr, b1=p["b1"], b2=p["b2"], eps=p["eps"], threshold=p["threshold"]),
    ),
    Optimizer(
        "adabelief", "AdaBelief",
        "m ← β1m + (1−β1)g; s ← β2 s + (1−β2)(g − m)² + ε_root; bias-corrected m̂, ŝ; θ ← θ − η m̂/(√ŝ + ε)",
        "Zhuang et al. 2020. optax.adabelief.",
        (B1, B2, _eps(1e-16), Param("eps_root", "ε added to s", 1e-16, min=0, max=1, scale="log")),
        lambda p, lr: optax.adabelief(lr, b1=p["b1"], b2=p["b2"], eps=p["eps"], eps_root=p["eps_root"]),
    ),
    Optimizer(
        "lookahead", "Lookahead", "the inner optimizer takes k fast steps; slow ← slow + α(fast − slow); fast ← slow",
        "Zhang et al. 2019; optax.lookahead. The path shown is the slow weights; gradients are taken at the fast "
        "ones (returned as fast_x, fast_y). The survey's LookaheadYogi is inner = yogi, k = 5, α = 0.5.",
        (Param("inner", "the fast optimizer: {id, params} (any optimizer but lookahead)",
               {"id": "sgd", "params": {}}, kind="optimizer"),
         Param("sync_period", "fast steps k between synchronisations", 5, kind="int", min=1, max=1000, unit="steps"),
         Param("slow_step_size", "slow step α toward the fast weights", 0.5, min=0, max=1, min_exclusive=True)),
        _lookahead_build,
    ),
)

OPTIMIZERS: dict[str, Optimizer] = {o.id: o for o in ALL}


def resolve_optimizer(optimizer_id: str, params: Mapping[str, Any]) -> dict:
    """Defaults filled and ranges checked (raises app.vocabulary.params.ParamErrors); lookahead's inner resolved too."""
    values = resolve_params(OPTIMIZERS[optimizer_id].params, params, steps=None)
    if optimizer_id == "lookahead":
        inner = values["inner"]
        if (not isinstance(inner, Mapping) or not isinstance(inner.get("id"), str) or inner["id"] not in OPTIMIZERS
                or inner["id"] == "lookahead" or set(inner) - {"id", "params"}
                or not isinstance(inner.get("params", {}), Mapping)):
            allowed = ", ".join(o for o in OPTIMIZERS if o != "lookahead")
            raise ParamErrors([("inner", f"must be {{id, params}} with id one of {allowed}, got {inner!r}")])
        values["inner"] = {"id": inner["id"], "params": resolve_optimizer(inner["id"], inner.get("params") or {})}
    return values


def kernel_key(optimizer_id: str, values: Mapping[str, Any]) -> tuple:
    """What the compiled trajectory kernel depends on: the optimizer ids, never their numbers."""
    if optimizer_id == "lookahead":
        return ("lookahead", values["inner"]["id"])
    return (optimizer_id,)


def flat_hyperparams(optimizer_id: str, values: Mapping[str, Any]) -> dict[str, float]:
    """The numbers of a resolved optimizer as a flat {name: float} ("inner.b1" for lookahead's inner)."""
    flat = {}
    for name, value in values.items():
        if name == "inner":
            flat.update({f"inner.{k}": float(v) for k, v in value["params"].items()})
        else:
            flat[name] = float(value)
    return flat


def transformation(key: tuple, flat: Mapping[str, Any], lr) -> optax.GradientTransformation:
    """The transformation of a kernel key from flat hyperparameters (traced scalars) at the rate `lr`."""
    return OPTIMIZERS[key[0]].build(unflatten(key, flat), lr)


def unflatten(key: tuple, flat: Mapping[str, Any]) -> dict:
    """Inverse of `flat_hyperparams` inside the kernel (values are traced scalars)."""
    if key[0] == "lookahead":
        inner = {k.split(".", 1)[1]: v for k, v in flat.items() if k.startswith("inner.")}
        outer = {k: v for k, v in flat.items() if not k.startswith("inner.")}
        return {**outer, "inner": {"id": key[1], "params": inner}}
    return dict(flat)
