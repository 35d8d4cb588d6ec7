"""Your own schedule: the `expression` schedule of the contract, η(k) = f(k, T, lr) typed as text.

The expression is parsed by the whitelist grammar (`app.vocabulary.expression`), once per distinct text (never
evaluated as Python), and compiled once per distinct expression by the learning-rate table.

Example:
    >>> import jax.numpy as jnp
    >>> [float(v) for v in rates("lr * 0.5^floor(k/100)", jnp.array([0.0, 100.0]), 500.0, 0.1)]
    [0.1, 0.05]
    >>> SCHEDULE.check({"f": "lr * q", "lr": 0.1}, 500)
    [('f', "position 5: unknown name 'q'; allowed: k, T, lr, pi, e and functions")]
"""
from __future__ import annotations

from typing import Any, Mapping

from ..vocabulary.expression import ExpressionError, parse
from ..vocabulary.params import Param
from .base import Schedule

VARIABLES = ("k", "T", "lr")
PARAMS = (
    Param("f", "η(k) from the step k (0-based), the run length T and lr, e.g. lr * 0.5^floor(k/100)",
          "lr * 0.5^floor(k/100)", kind="text"),
    Param("lr", "the base rate the expression may use as lr", 0.01, min=0, max=10, min_exclusive=True, scale="log"),
)


def rates(f: str, k, T, lr):
    """η(k) of a typed schedule (jnp; k, T and lr may be traced)."""
    return parse(f, VARIABLES)({"k": k, "T": T, "lr": lr}) + 0.0 * k


def _parses(values: Mapping[str, Any], T: int) -> list[tuple[str, str]]:
    """f parses (the grammar of typed expressions)."""
    if not isinstance(values["f"], str):
        return [("f", "must be a string")]
    try:
        parse(values["f"], VARIABLES)
    except ExpressionError as e:
        return [("f", str(e))]
    return []


SCHEDULE = Schedule("expression", "Your own schedule", "custom", "η(k) = f(k, T, lr)",
                    "An expression you type, parsed by a whitelist grammar (never evaluated as Python); compiled once "
                    "per distinct expression.", PARAMS, None, check=_parses)
