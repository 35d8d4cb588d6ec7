"""What a schedule is: a pure jnp formula of the step, its parameter list, and its optax equivalent.

`fn(k, p, T)` takes a float64 array of steps `k` (0-based: update k uses η(k)), a mapping `p` of parameter
values (traced jnp scalars under jit, lists as fixed-length arrays) and the duration `T` (the run's steps, or a
sequence part's), and returns η(k). Parameters are traced so that a new value never recompiles; optax's own
builders validate their arguments in Python and cannot take traced values, so the formulas are written here and
`optax_fn(values, T)` builds optax's schedule with concrete values for the tests that prove they agree (and for
exporting code).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..vocabulary.params import Param, T_fraction, param_fraction


@dataclass(frozen=True, eq=False)
class Schedule:
    id: str
    title: str
    family: str  # constant, piecewise, smooth, cyclical, warmup, composition
    formula: str
    doc: str
    params: tuple[Param, ...]
    fn: Callable[..., Any] | None  # (k, p, T) -> lr; None for sequence
    optax_fn: Callable[[Mapping[str, Any], int], Callable] | None = None
    check: Callable[[Mapping[str, Any], int], list[tuple[str, str]]] | None = None
    stateful: bool = False  # plateau: depends on the loss, resolved inside the trajectory kernel


def lr_param(default: float = 0.01, doc: str = "base (initial or peak) learning rate η0") -> Param:
    return Param("lr", doc, default, min=0, max=10, min_exclusive=True, scale="log")


def steps_param(name: str, fraction: float, text: str, doc: str) -> Param:
    """An integer step count whose default is a fraction of T, valid in [1, T]."""
    return Param(name, doc, T_fraction(fraction, text), kind="int", min=1, max="T", unit="steps")


def base_max_params(base_fraction_text: str = "0.1·max_lr") -> tuple[Param, Param]:
    """Smith's pair: `max_lr` (peak) and `base_lr` (floor), default base = 0.1·max."""
    return (
        Param("max_lr", "peak learning rate of each cycle", 0.01, min=0, max=10, min_exclusive=True, scale="log"),
        Param("base_lr", "lowest learning rate of each cycle", param_fraction("max_lr", 0.1, base_fraction_text),
              min=0, max=10, scale="log"),
    )


def base_below_max(p: Mapping[str, Any], T: int) -> list[tuple[str, str]]:
    """base_lr ≤ max_lr."""
    if p["base_lr"] > p["max_lr"]:
        return [("base_lr", f"must be at most max_lr ({p['max_lr']:g}), got {p['base_lr']:g}")]
    return []
