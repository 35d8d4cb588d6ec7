"""What a landscape is: a pure jnp function of a point and its parameters, plus the facts about it.

`fn(point, params)` takes a float64 array of shape (2,) and a mapping from parameter name to a scalar (a Python
float or a traced jnp scalar) and returns f(x, y). It reads the point only as `point[0]` and `point[1]`, so a pair
(x, y) of arrays of one shape gives f elementwise: the grid kernel keeps one array per coordinate. Parameters
reach compiled code as arrays, so a new value of `a` on Rosenbrock never recompiles anything.

Example:
    >>> import jax.numpy as jnp
    >>> from landscapes import LANDSCAPES
    >>> rosenbrock = LANDSCAPES["rosenbrock"]
    >>> float(rosenbrock.value((1.0, 1.0)))
    0.0
    >>> rosenbrock.escape_box()
    ((-4.0, 4.0), (-3.0, 5.0))
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import jax.numpy as jnp

from app.vocabulary.params import Param, defaults

Domain = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class CriticalPoint:
    kind: str  # "minimum", "maximum" or "saddle"
    x: float
    y: float
    value: float
    name: str = ""  # e.g. "G" (global), "L" (local), "S" (shallow) on peaks
    is_global: bool = False

    def as_dict(self) -> dict:
        return {"kind": self.kind, "x": self.x, "y": self.y, "value": self.value, "name": self.name,
                "global": self.is_global}


@dataclass(frozen=True)
class Start:
    x: float
    y: float
    note: str

    def as_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "note": self.note}


@dataclass(frozen=True, eq=False)  # identity: one object per id, usable as a cache key
class Landscape:
    id: str
    title: str
    formula: str
    description: str  # what it teaches
    fn: Callable[[jnp.ndarray, Mapping[str, object]], jnp.ndarray]
    domain: Domain
    params: tuple[Param, ...] = ()
    critical_points: tuple[CriticalPoint, ...] = ()  # at the default parameters
    minima_complete: bool = True  # False where the list above leaves local minima out (rastrigin, ackley)
    starts: tuple[Start, ...] = ()
    floor: float = -math.inf  # a run whose loss falls below this has escaped (unbounded surfaces)
    infimum: float | None = None  # the value approached when no minimum is attained (sigmoid cliff, eps = 0)
    colour_scale: str = "linear"  # plotting hint: "linear", "log", "sqrt" or "diverging"
    notes: str = ""

    def default_params(self) -> dict:
        return defaults(self.params, steps=500)

    def value(self, point, params: Mapping[str, float] | None = None):
        """f at `point` with `params` (defaults when omitted)."""
        merged = {**self.default_params(), **(params or {})}
        return self.fn(jnp.asarray(point, dtype=jnp.float64), merged)

    def escape_box(self) -> Domain:
        """Twice the plot domain about its centre: a run whose iterate leaves it has escaped."""
        return tuple((0.5 * (lo + hi) - (hi - lo), 0.5 * (lo + hi) + (hi - lo)) for lo, hi in self.domain)

    def minima(self) -> tuple[CriticalPoint, ...]:
        return tuple(p for p in self.critical_points if p.kind == "minimum")
