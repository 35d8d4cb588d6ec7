"""Your own landscape and schedule: the `expression` ids of the contract, built from a parsed expression.

A custom landscape is a `Landscape` like the built-in ones, made once per distinct (expression, domain) and
cached, so its kernels compile once and are reused; its critical points come from the same Newton search.

Example:
    >>> bowl = landscape_of({"id": "expression", "params": {"f": "x^2 + 3*y^2", "domain": [[-2, 2], [-1, 1]]}})
    >>> float(bowl.value((1.0, 1.0))), bowl.domain
    (4.0, ((-2.0, 2.0), (-1.0, 1.0)))
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from . import LANDSCAPES
from .landscape import Landscape, Start
from app.vocabulary.compile_once import kernel_cache
from app.vocabulary.limits import MAX_CONSTANT, MAX_CONSTANT_NAME_LENGTH, MAX_CONSTANTS, MAX_DOMAIN
from app.vocabulary.params import Param

from app.vocabulary.expression import CONSTANTS, FUNCTIONS, ExpressionError, check, parse

LANDSCAPE_VARIABLES = ("x", "y")
SCHEDULE_VARIABLES = ("k", "T", "lr")
DEFAULT_DOMAIN = [[-3.0, 3.0], [-3.0, 3.0]]

CONSTANT_NAME = re.compile(rf"^[A-Za-z][A-Za-z0-9_]{{0,{MAX_CONSTANT_NAME_LENGTH - 1}}}$")
LANDSCAPE_PARAMS = (
    Param("f", "f(x, y): numbers, x, y, your named parameters, pi, e, + - * / ^, parentheses and sin cos tan exp "
          "log log10 sqrt abs tanh sigmoid sinh cosh atan floor ceil min max", "sin(x)*cos(y) + 0.1*(x^2+y^2)",
          kind="text"),
    Param("domain", "plot domain [[x_min, x_max], [y_min, y_max]]", DEFAULT_DOMAIN, kind="domain"),
    Param("constants", f"named parameters of f, e.g. {{\"a\": 1.0}} (at most {MAX_CONSTANTS}); new values "
          "recompile nothing", {}, kind="constants"),
)
SCHEDULE_PARAMS = (
    Param("f", "η(k) from the step k (0-based), the run length T and lr, e.g. lr * 0.5^floor(k/100)",
          "lr * 0.5^floor(k/100)", kind="text"),
    Param("lr", "the base rate the expression may use as lr", 0.01, min=0, max=10, min_exclusive=True, scale="log"),
)


def check_constants(constants: Any) -> dict[str, float]:
    """Named parameters {name: number}, or ValueError saying what is wrong."""
    if not isinstance(constants, Mapping) or len(constants) > MAX_CONSTANTS:
        raise ValueError(f"must be an object of at most {MAX_CONSTANTS} names and numbers")
    out = {}
    for name, value in constants.items():
        reserved = set(LANDSCAPE_VARIABLES) | set(CONSTANTS) | set(FUNCTIONS)
        if not isinstance(name, str) or not CONSTANT_NAME.match(name) or name in reserved:
            raise ValueError(f"{name!r} cannot be a name: a letter, then letters, digits or _, at most "
                             f"{MAX_CONSTANT_NAME_LENGTH}, "
                             "and not x, y, pi, e or a function")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > MAX_CONSTANT:
            raise ValueError(f"{name} must be a finite number within ±{MAX_CONSTANT:g}, got {value!r}")
        out[name] = float(value)
    return out


def check_domain(domain: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    """The domain as float pairs, or ValueError saying what is wrong."""
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in domain)
    except (TypeError, ValueError):
        raise ValueError("must be [[x_min, x_max], [y_min, y_max]]") from None
    for lo, hi in ((x0, x1), (y0, y1)):
        if not (abs(lo) <= MAX_DOMAIN and abs(hi) <= MAX_DOMAIN and lo < hi):
            raise ValueError(f"each range must have min < max within ±{MAX_DOMAIN:g}, got [{lo:g}, {hi:g}]")
    return (x0, x1), (y0, y1)


@kernel_cache(maxsize=64)
def expression_landscape(f: str, domain: tuple, names: tuple[str, ...] = ()) -> Landscape:
    """One Landscape per (expression, domain, parameter names): parameter values are traced, like a built-in's."""
    evaluate = parse(f, LANDSCAPE_VARIABLES + names)
    (x0, x1), (y0, y1) = domain
    return Landscape(
        id="expression", title="Your own function", formula=f, description="A function you typed.",
        # a constant f still depends on the point
        fn=lambda p, q: evaluate({"x": p[0], "y": p[1], **{n: q[n] for n in names}}) + 0.0 * p[0],
        domain=domain, params=tuple(Param(n, "named parameter", 0.0) for n in names), critical_points=(),
        minima_complete=False,
        starts=(Start(x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0), "a corner of the domain"),),
    )


def landscape_of(spec: Mapping[str, Any]) -> Landscape:
    """The Landscape of a scene's landscape {id, params} (params already checked)."""
    if spec["id"] != "expression":
        return LANDSCAPES[spec["id"]]
    params = spec.get("params") or {}
    return expression_landscape(params.get("f", LANDSCAPE_PARAMS[0].default),
                                check_domain(params.get("domain", DEFAULT_DOMAIN)),
                                tuple(sorted(params.get("constants") or {})))


def schedule_values(f: str, k, T, lr):
    """η(k) of an expression schedule (jnp, traced k, T, lr)."""
    return parse(f, SCHEDULE_VARIABLES)({"k": k, "T": T, "lr": lr}) + 0.0 * k


__all__ = ["ExpressionError", "check", "landscape_of", "expression_landscape", "check_domain", "check_constants",
           "schedule_values",
           "LANDSCAPE_PARAMS", "SCHEDULE_PARAMS", "LANDSCAPE_VARIABLES", "SCHEDULE_VARIABLES"]
