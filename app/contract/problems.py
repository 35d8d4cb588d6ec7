"""Where validation collects its problems: each with its location, all raised together as one ValidationError.

Example:
    >>> problems = Problems("Scene")
    >>> problems.add(("runs", 0, "start"), "must lie in [-4, 4] × [-3, 5]", [9.0, 0.0])
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Scene
    runs.0.start
      must lie in [-4, 4] × [-3, 5] [type=invalid, input_value=[9.0, 0.0], input_type=list]
"""
from __future__ import annotations

from typing import Any, Mapping

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..vocabulary.params import ParamErrors


class Problems:
    """The problems of one model being validated (`title` names it in the error)."""

    def __init__(self, title: str):
        self.title = title
        self.errors: list[InitErrorDetails] = []

    def add(self, loc: tuple, message: str, value: Any = None) -> None:
        self.errors.append(InitErrorDetails(type=PydanticCustomError("invalid", "{message}", {"message": message}),
                                            loc=loc, input=value))

    def add_param_errors(self, loc: tuple, error: ParamErrors, values: Mapping[str, Any]) -> None:
        """Each (name, message) of a parameter list's errors, at loc + (name,)."""
        for name, message in error.errors:
            self.add(loc + (name,), message, values.get(name))

    def add_validation_error(self, loc: tuple, error: ValidationError) -> None:
        """Each error of a nested model's validation, at loc + its own location."""
        for err in error.errors():
            self.add(loc + tuple(err["loc"]), err["msg"], err.get("input"))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError.from_exception_data(self.title, self.errors)
