"""Your own landscape: the `expression` landscape of the contract, a `Landscape` built from a typed f(x, y).

The expression is parsed by the whitelist grammar (`app.vocabulary.expression`), once per distinct text; the
Landscape is made once per distinct (expression, domain, parameter names) and cached, so its kernels compile once
and are reused, and new values of its named parameters recompile nothing. Its critical points come from the same
Newton search as a built-in's.

Example:
    >>> bowl, values = resolve_typed({"f": "x^2 + a*y^2", "domain": [[-2, 2], [-1, 1]], "constants": {"a": 3}})
    >>> float(bowl.value((1.0, 1.0), values["constants"])), bowl.domain, values["constants"]
    (4.0, ((-2.0, 2.0), (-1.0, 1.0)), {'a': 3.0})
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from app.vocabulary.compile_once import kernel_cache
from app.vocabulary.expression import CONSTANTS, FUNCTIONS, ExpressionError, parse
from app.vocabulary.limits import MAX_CONSTANT, MAX_CONSTANT_NAME_LENGTH, MAX_CONSTANTS, MAX_DOMAIN
from app.vocabulary.params import Param, ParamErrors

from .landscape import Landscape, Start

VARIABLES = ("x", "y")
DEFAULT_DOMAIN = [[-3.0, 3.0], [-3.0, 3.0]]

CONSTANT_NAME = re.compile(rf"^[A-Za-z][A-Za-z0-9_]{{0,{MAX_CONSTANT_NAME_LENGTH - 1}}}$")
PARAMS = (
    Param("f", "f(x, y): numbers, x, y, your named parameters, pi, e, + - * / ^, parentheses and sin cos tan exp "
          "log log10 sqrt abs tanh sigmoid sinh cosh atan floor ceil min max", "sin(x)*cos(y) + 0.1*(x^2+y^2)",
          kind="text"),
    Param("domain", "plot domain [[x_min, x_max], [y_min, y_max]]", DEFAULT_DOMAIN, kind="domain"),
    Param("constants", f"named parameters of f, e.g. {{\"a\": 1.0}} (at most {MAX_CONSTANTS}); new values "
          "recompile nothing", {}, kind="constants"),
)


def check_constants(constants: Any) -> dict[str, float]:
    """Named parameters {name: number}, or ValueError saying what is wrong."""
    if not isinstance(constants, Mapping) or len(constants) > MAX_CONSTANTS:
        raise ValueError(f"must be an object of at most {MAX_CONSTANTS} names and numbers")
    out = {}
    for name, value in constants.items():
        reserved = set(VARIABLES) | set(CONSTANTS) | set(FUNCTIONS)
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
def typed_landscape(f: str, domain: tuple, names: tuple[str, ...] = ()) -> Landscape:
    """One Landscape per (expression, domain, parameter names): parameter values are traced, like a built-in's."""
    evaluate = parse(f, VARIABLES + names)
    (x0, x1), (y0, y1) = domain
    return Landscape(
        id="expression", title="Your own function", formula=f, description="A function you typed.",
        # a constant f still depends on the point
        fn=lambda p, q: evaluate({"x": p[0], "y": p[1], **{n: q[n] for n in names}}) + 0.0 * p[0],
        domain=domain, params=tuple(Param(n, "named parameter", 0.0) for n in names), critical_points=(),
        minima_complete=False,
        starts=(Start(x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0), "a corner of the domain"),),
    )


def resolve_typed(values: Mapping[str, Any]) -> tuple[Landscape, dict]:
    """The Landscape of a typed landscape's parameters {f, domain, constants} (defaults filled) and the parameters
    as normalised (domain as float pairs, constants as floats). Raises ParamErrors naming every bad parameter."""
    errors, normalised = [], dict(values)
    try:
        normalised["constants"] = check_constants(values["constants"])
    except ValueError as e:
        errors.append(("constants", str(e)))
        normalised["constants"] = {}
    names = tuple(sorted(normalised["constants"]))
    if not isinstance(values["f"], str):
        errors.append(("f", "must be a string"))
    else:
        try:
            parse(values["f"], VARIABLES + names)
        except ExpressionError as e:
            errors.append(("f", str(e)))
    try:
        domain = check_domain(values["domain"])
        normalised["domain"] = [list(domain[0]), list(domain[1])]
    except ValueError as e:
        errors.append(("domain", str(e)))
    if errors:
        raise ParamErrors(errors)
    return typed_landscape(values["f"], domain, names), normalised


__all__ = ["PARAMS", "VARIABLES", "DEFAULT_DOMAIN", "typed_landscape", "resolve_typed", "check_domain",
           "check_constants"]
