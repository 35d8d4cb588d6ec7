"""Typed parameter lists: one per landscape, schedule and optimizer.

A `Param` says everything the project knows about one parameter: its type, default (possibly in terms of the
scene's step count `T` or of another parameter), valid range, unit and a one-line doc. The same list drives
validation (`resolve_params`), the catalog (`Param.describe`), the browser's controls and the docs, so there is
never a second hand-written list to drift.

Example:
    >>> lr = Param("lr", "base learning rate", 0.01, min=0, max=10, min_exclusive=True, scale="log")
    >>> resolve_params((lr,), {}, steps=500)
    {'lr': 0.01}
    >>> resolve_params((lr,), {"lr": 20}, steps=500)
    Traceback (most recent call last):
    ...
    app.vocabulary.params.ParamErrors: lr: must be in (0, 10], got 20
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .limits import MAX_LIST_LENGTH

NESTED = ("parts", "optimizer", "text", "domain", "constants")  # structured values (sequence parts, lookahead's inner optimizer): their owner checks them
KINDS = ("float", "int", "bool", "choice", "float_list", "int_list") + NESTED


@dataclass(frozen=True)
class Derived:
    """A default computed from the step count `T` and the parameters resolved before it.

    `text` is how the catalog shows it ("T/5", "0.1·max_lr").
    """

    text: str
    fn: Callable[[int, Mapping[str, Any]], Any]
    needs: tuple[str, ...] = ()  # parameters it reads; when one of them is invalid, it is not computed


Bound = float | int | str | None  # a number, or "T" for the scene's step count


@dataclass(frozen=True)
class Param:
    name: str
    doc: str
    default: Any
    kind: str = "float"
    min: Bound = None
    max: Bound = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple = ()
    unit: str = ""
    scale: str = "linear"  # a hint for controls: "linear" or "log"
    nullable: bool = False
    max_length: int = MAX_LIST_LENGTH  # for list kinds

    def __post_init__(self):
        assert self.kind in KINDS, self.kind

    def bound(self, which: str, steps: int | None) -> float | None:
        value = getattr(self, which)
        if value == "T":
            return None if steps is None else steps
        return value

    def range_text(self, steps: int | None = None) -> str:
        """The allowed range as the errors write it; a bound in T reads "T" when no step count is given.

        >>> Param("warmup", "", 1, kind="int", min=1, max="T").range_text()
        '[1, T] (T = steps)'
        >>> Param("warmup", "", 1, kind="int", min=1, max="T").range_text(500)
        '[1, 500]'
        """
        lo, hi = (("T" if steps is None and getattr(self, which) == "T" else self.bound(which, steps))
                  for which in ("min", "max"))
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        left = ("(" if self.min_exclusive else "[") + ("-inf" if lo is None else _fmt(lo))
        right = ("inf" if hi is None else _fmt(hi)) + (")" if self.max_exclusive else "]")
        if lo is None:
            left = "(-inf"
        if hi is None:
            right = "inf)"
        text = f"{left}, {right}"
        if "T" in (self.min, self.max) and steps is None:
            text += " (T = steps)"
        return text

    def describe(self, steps: int) -> dict:
        """The catalog entry: default at `steps`, the default's formula, range, unit, doc."""
        default = self.default
        entry = {
            "name": self.name,
            "kind": self.kind,
            "doc": self.doc,
            "unit": self.unit,
            "scale": self.scale,
            "nullable": self.nullable,
        }
        if isinstance(default, Derived):
            entry["default_expr"] = default.text
            default = None  # depends on other parameters; filled in by the caller if wanted
        entry["default"] = default
        entry["min"] = self.min
        entry["max"] = self.max
        entry["min_exclusive"] = self.min_exclusive
        entry["max_exclusive"] = self.max_exclusive
        entry["range"] = self.range_text(None)
        if self.choices:
            entry["choices"] = list(self.choices)
        if self.kind.endswith("_list"):
            entry["max_length"] = self.max_length
        entry["slider"] = self.slider()
        return entry

    def slider(self, default: Any = None) -> dict | None:
        """The span of a control's slider for this number (the field beside it takes any valid value), or None.

        `default` is the default where it is written in T (as the catalog evaluates it); bounds may be "T".
        Where the valid range is narrow enough to drag across it is the slider's span, moved in by a thousandth
        of it where a bound is excluded (by 1 for an integer); a log scale starts at default/1000 (max/10⁶ when
        the default is 0 or unknown) where the range reaches 0; a linear range wider than 100 × m
        (m = max(|default|, 1)) is cut to 10 × m from its lower end; an open bound lies 10 × m from the default.

        Example:
            >>> Param("lr", "rate", 0.01, min=0, max=10, min_exclusive=True, scale="log").slider()
            {'min': 1e-05, 'max': 10.0, 'scale': 'log'}
            >>> Param("patience", "steps", 10, kind="int", min=1, max=100_000).slider()
            {'min': 1, 'max': 101, 'scale': 'linear'}
        """
        if self.kind not in ("int", "float"):
            return None
        if default is None and not isinstance(self.default, Derived):
            default = self.default
        default = default if isinstance(default, (int, float)) and not isinstance(default, bool) else None
        m = max(abs(default or 0), 1)
        lo, hi = self.min, self.max
        if self.scale == "log":
            floor = default / 1000 if default else (hi * 1e-6 if isinstance(hi, (int, float)) else 1e-6)  # six decades
            lo = floor if lo is None or (lo != "T" and lo <= 0) else lo
            hi = (default or 1) * 1000 if hi is None else hi
        else:
            centre = 0 if default is None else default
            if lo is None:
                lo = centre - 10 * m
            if hi is None:
                hi = centre + 10 * m
            elif hi != "T" and lo != "T" and hi - lo > 100 * m:
                hi = lo + 10 * m
        integer = self.kind == "int"
        inward = 1 if integer or "T" in (lo, hi) else (hi - lo) / 1000
        if self.min_exclusive and lo == self.min:
            lo = lo + inward
        if self.max_exclusive and hi == self.max:
            hi = hi - inward
        return {"min": _tidy(lo, integer), "max": _tidy(hi, integer), "scale": self.scale}


def _tidy(value: Bound, integer: bool) -> Bound:
    """A slider bound as the catalog writes it: "T", an int for integers, else a float to 12 digits."""
    if value == "T":
        return value
    if integer:
        return int(round(value))
    return float(f"{value:.12g}")


def _fmt(x: float) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


class ParamErrors(ValueError):
    """Every problem found in one parameter dict: a list of (parameter name, message)."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in errors))


def _coerce_number(param: Param, value: Any, steps: int | None) -> tuple[Any, str | None]:
    """Check one scalar against the kind and range; return (value, error message or None)."""
    integer = param.kind in ("int", "int_list")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"must be {'an integer' if integer else 'a number'}, got {value!r}"
    if not math.isfinite(value):
        return None, f"must be finite, got {value!r}"
    if integer:
        if float(value) != int(value):
            return None, f"must be an integer, got {value!r}"
        value = int(value)
    else:
        value = float(value)
    lo, hi = param.bound("min", steps), param.bound("max", steps)
    bad = (
        (lo is not None and (value < lo or (param.min_exclusive and value == lo)))
        or (hi is not None and (value > hi or (param.max_exclusive and value == hi)))
    )
    if bad:
        return None, f"must be in {param.range_text(steps)}, got {_fmt(value)}"
    return value, None


def check_value(param: Param, value: Any, steps: int | None) -> tuple[Any, str | None]:
    """Validate one value of `param`; return the normalised value and an error message (or None)."""
    if value is None:
        if param.nullable:
            return None, None
        return None, "must not be null"
    if param.kind in NESTED:
        return value, None
    if param.kind == "bool":
        if not isinstance(value, bool):
            return None, f"must be true or false, got {value!r}"
        return value, None
    if param.kind == "choice":
        if value not in param.choices:
            return None, f"must be {param.range_text()}, got {value!r}"
        return value, None
    if param.kind.endswith("_list"):
        if not isinstance(value, (list, tuple)):
            return None, f"must be a list of numbers, got {value!r}"
        if len(value) > param.max_length:
            return None, f"must have at most {param.max_length} entries, got {len(value)}"
        out = []
        for i, item in enumerate(value):
            item, err = _coerce_number(param, item, steps)
            if err:
                return None, f"entry {i} {err}"
            out.append(item)
        return out, None
    return _coerce_number(param, value, steps)


def resolve_params(params: tuple[Param, ...], given: Mapping[str, Any], steps: int | None) -> dict:
    """Fill defaults, check kinds and ranges, and reject unknown names.

    Defaults given as `Derived` are computed in list order from `steps` (T) and the values resolved so far;
    integer parameters round them and keep them inside their range.
    Raises `ParamErrors` naming every offending parameter and its allowed range.
    """
    known = {p.name for p in params}
    errors = [(name, f"unknown parameter; allowed: {', '.join(sorted(known)) or 'none'}")
              for name in given if name not in known]
    values: dict[str, Any] = {}
    for param in params:
        if param.name in given:
            value, err = check_value(param, given[param.name], steps)
            if err:
                errors.append((param.name, err))
                continue
        else:
            value = param.default
            if isinstance(value, Derived):
                if any(name not in values for name in value.needs):
                    continue  # a parameter it depends on was invalid; that error is reported already
                value = value.fn(steps if steps is not None else 500, values)
                if param.kind == "int":
                    value = _clamp_int(param, value, steps)
                elif param.kind == "int_list":
                    value = _distinct_ints(param, value, steps)
            elif isinstance(value, (list, dict)):
                value = copy.deepcopy(value)  # a default is never shared with (or changed by) a scene
        values[param.name] = value
    if errors:
        raise ParamErrors(errors)
    return values


def _clamp_int(param: Param, value: float, steps: int | None) -> int:
    """A derived integer default: rounded, and kept in range (T/5 of a 3-step run is still 1)."""
    value = int(round(value))
    lo, hi = param.bound("min", steps), param.bound("max", steps)
    if lo is not None:
        value = max(value, int(math.floor(lo)) + 1 if param.min_exclusive else int(math.ceil(lo)))
    if hi is not None:
        value = min(value, int(math.ceil(hi)) - 1 if param.max_exclusive else int(math.floor(hi)))
    return value


def _distinct_ints(param: Param, values: list[float], steps: int | None) -> list[int]:
    """A derived integer-list default: each value rounded and kept in range, repeats dropped, and values no
    integer in the range can hold dropped. Multistep's [T/2, 3T/4] is [1] at T = 2 (1 and 1.5 both round into
    (0, 2) as 1), [2] at T = 3, and no milestone at all at T = 1, where (0, 1) holds no integer."""
    kept: list[int] = []
    for value in values:
        value = _clamp_int(param, value, steps)
        if value not in kept and check_value(param, [value], steps)[1] is None:
            kept.append(value)
    return kept


def T_fraction(fraction: float, text: str) -> Derived:
    """Default `fraction · T`, e.g. `T_fraction(0.2, "T/5")`."""
    return Derived(text, lambda T, p: fraction * T)


def param_fraction(name: str, fraction: float, text: str) -> Derived:
    """Default `fraction · <another parameter>`, e.g. `param_fraction("max_lr", 0.1, "0.1·max_lr")`."""
    return Derived(text, lambda T, p: fraction * p[name], (name,))


def defaults(params: tuple[Param, ...], steps: int) -> dict:
    """All defaults at `steps`."""
    return resolve_params(params, {}, steps)


__all__ = ["Param", "Derived", "ParamErrors", "resolve_params", "check_value", "T_fraction", "param_fraction",
           "defaults"]
