"""The published JSON schema of every landscape, optimizer and schedule: one schema per id, made from its parameter list.

OpenAPI shows `{id, params}` as a discriminated union on `id` (`oneOf` with a `discriminator`): each variant
(`Schedule_cosine`, `Optimizer_adam`, `Landscape_rosenbrock`, ...) lists its parameters with their type, bounds and
default, and refuses unknown ones. They are made here from the same `Param` lists that validation reads
(`app.vocabulary.params`), so they cannot drift. They only document: the models of the scene keep validating as
before (`SceneNormaliser`), and `documented_as` swaps in these schemas for OpenAPI alone.

What JSON Schema cannot compare across two fields is published conservatively where a conservative bound is a
bound at all, and stated in the description:
- a bound written in T (the run's step count: the scene's steps, or a sequence part's): the schema's bound is the
  largest T (MAX_STEPS), the description says "at most T", and `x-maximum: "T"` (or `x-minimum`) says it to a
  machine;
- rules between parameters of one schedule (base_lr ≤ max_lr, a multistep's milestones increasing, ...) are in
  the schedule's description, from its `check`.

Example:
    >>> schema = params_model("warmup_cosine", SCHEDULES["warmup_cosine"].params).model_json_schema()
    >>> schema["properties"]["warmup"]["maximum"], schema["properties"]["warmup"]["x-maximum"]
    (50000, 'T')
    >>> schema["additionalProperties"]
    False
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model
from pydantic.json_schema import WithJsonSchema

from landscapes import LANDSCAPES, typed

from ..optimizers import OPTIMIZERS
from ..schedules import SCHEDULES
from ..vocabulary.expression import CONSTANTS, FUNCTIONS
from ..vocabulary.limits import (MAX_CONSTANT, MAX_CONSTANT_NAME_LENGTH, MAX_CONSTANTS, MAX_DOMAIN,
                                 MAX_EXPRESSION_LENGTH, MAX_SEQUENCE_PARTS, MAX_STEPS)
from ..vocabulary.params import Derived, Param

DOCS_ONLY = ConfigDict(extra="forbid")


def _bounds(param: Param) -> tuple[dict, dict]:
    """Field constraints and JSON schema extras of a number's bounds; a bound in T is published as MAX_STEPS."""
    constraints, extra = {}, {}
    for which, exclusive, strict, loose, hull in (("min", param.min_exclusive, "gt", "ge", 1),
                                                  ("max", param.max_exclusive, "lt", "le", MAX_STEPS)):
        value = getattr(param, which)
        if value is None:
            continue
        if value == "T":
            extra[f"x-{which}imum"] = "T"
            value = hull
        constraints[strict if exclusive else loose] = value
    return constraints, extra


def _description(param: Param) -> str:
    text = param.doc
    if param.unit:
        text += f" ({param.unit})"
    if param.kind in ("float", "int", "float_list", "int_list"):
        text += f"; range {param.range_text()}"
    if "T" in (param.min, param.max):
        text += ": T is the run's step count (the scene's steps, or a sequence part's), which a JSON schema cannot " \
                "compare with; the schema's bound is the largest T"
    if isinstance(param.default, Derived):
        text += f"; default {param.default.text}"
    return text


def _constants_schema() -> dict:
    reserved = sorted(set(typed.VARIABLES) | set(CONSTANTS) | set(FUNCTIONS))
    return {"type": "object", "maxProperties": MAX_CONSTANTS,
            "propertyNames": {"pattern": typed.CONSTANT_NAME.pattern, "not": {"enum": reserved}},
            "additionalProperties": {"type": "number", "minimum": -MAX_CONSTANT, "maximum": MAX_CONSTANT},
            "description": f"named parameters: a letter, then letters, digits or _ (at most "
                           f"{MAX_CONSTANT_NAME_LENGTH}), not x, y, a constant or a function"}


DOMAIN_SCHEMA = {"type": "array", "minItems": 2, "maxItems": 2, "description": "[[x_min, x_max], [y_min, y_max]], "
                 "each min < max", "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {
                     "type": "number", "minimum": -MAX_DOMAIN, "maximum": MAX_DOMAIN}}}


def _value_type(param: Param) -> Any:
    """The Python type whose JSON schema is this parameter's (documentation only)."""
    kind = param.kind
    if kind in ("float", "int", "float_list", "int_list"):
        constraints, extra = _bounds(param)
        number = Annotated[int if kind.startswith("int") else float,
                           Field(**constraints, json_schema_extra=extra or None)]
        value = list[number] if kind.endswith("_list") else number
        if kind.endswith("_list"):
            value = Annotated[value, Field(max_length=param.max_length)]
    elif kind == "bool":
        value = bool
    elif kind == "choice":
        value = Literal[param.choices]
    elif kind == "text":
        value = Annotated[str, Field(min_length=1, max_length=MAX_EXPRESSION_LENGTH)]
    elif kind == "domain":
        value = Annotated[Any, WithJsonSchema(DOMAIN_SCHEMA)]
    elif kind == "constants":
        value = Annotated[Any, WithJsonSchema(_constants_schema())]
    elif kind == "optimizer":
        value = optimizer_union(exclude=("lookahead",))
    elif kind == "parts":
        value = Annotated[list[SequencePart], Field(min_length=1, max_length=MAX_SEQUENCE_PARTS)]
    else:
        raise ValueError(kind)
    return value | None if param.nullable else value


def params_model(owner: str, params: tuple[Param, ...], name: str | None = None) -> type[BaseModel]:
    """A model of one parameter list (documentation only): every parameter optional, typed, bounded, described."""
    fields = {}
    for param in params:
        default = None if isinstance(param.default, Derived) else param.default
        if default is None and not param.nullable and not isinstance(param.default, Derived):
            default = ...  # no default: required (a sequence's parts)
        fields[param.name] = (_value_type(param), Field(default, description=_description(param)))
    return create_model(name or f"{_camel(owner)}Params", __config__=DOCS_ONLY, **fields)


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in text.replace("-", "_").split("_"))


def _variant(kind: str, id_: str, title: str, doc: str, params: tuple[Param, ...]) -> type[BaseModel]:
    model = params_model(f"{kind}_{id_}", params)
    required = any(field.is_required() for field in model.model_fields.values())
    return create_model(f"{kind}_{id_}", __config__=ConfigDict(extra="forbid", title=f"{kind} {id_}: {title}"),
                        __doc__=doc, id=(Literal[id_], ...),
                        params=(model, Field(...) if required else Field(default_factory=dict)))


def _union(variants: list[type[BaseModel]]) -> Any:
    return Annotated[Union[tuple(variants)], Field(discriminator="id")]


def optimizer_union(exclude: tuple[str, ...] = ()) -> Any:
    return _union([VARIANTS["Optimizer"][id_] for id_ in OPTIMIZERS if id_ not in exclude])


def _schedule_doc(schedule) -> str:
    rules = f" Rules between its parameters: {schedule.check.__doc__.strip()}" if schedule.check and \
        schedule.check.__doc__ else ""
    return f"{schedule.formula}. {schedule.doc}{rules}"


VARIANTS: dict[str, dict[str, type[BaseModel]]] = {"Optimizer": {}, "Schedule": {}, "Landscape": {}}
for _optimizer in OPTIMIZERS.values():
    if _optimizer.id != "lookahead":
        VARIANTS["Optimizer"][_optimizer.id] = _variant("Optimizer", _optimizer.id, _optimizer.title, _optimizer.doc,
                                                        _optimizer.params)
VARIANTS["Optimizer"]["lookahead"] = _variant("Optimizer", "lookahead", OPTIMIZERS["lookahead"].title,
                                              OPTIMIZERS["lookahead"].doc, OPTIMIZERS["lookahead"].params)
VARIANTS["Optimizer"] = {id_: VARIANTS["Optimizer"][id_] for id_ in OPTIMIZERS}  # registry order

for _landscape in LANDSCAPES.values():
    VARIANTS["Landscape"][_landscape.id] = _variant("Landscape", _landscape.id, _landscape.title,
                                                    _landscape.description, _landscape.params)
VARIANTS["Landscape"]["expression"] = _variant("Landscape", "expression", "Your own function",
                                               "f(x, y) typed, parsed by a whitelist grammar.", typed.PARAMS)

PART_SCHEDULES = [id_ for id_ in SCHEDULES if id_ not in ("sequence", "plateau")]
for _id in PART_SCHEDULES:
    VARIANTS["Schedule"][_id] = _variant("Schedule", _id, SCHEDULES[_id].title, _schedule_doc(SCHEDULES[_id]),
                                         SCHEDULES[_id].params)


class SequencePart(BaseModel):
    """One part of a sequence: a schedule (not a sequence, not plateau) for `steps` steps; the last part omits
    `steps` and runs for the rest."""

    model_config = DOCS_ONLY
    schedule: _union([VARIANTS["Schedule"][id_] for id_ in PART_SCHEDULES])
    steps: int | None = Field(None, ge=1, le=MAX_STEPS - 1, description="omitted on the last part; before it, "
                              "the parts must leave at least one step of the scene's to the last")


for _id in ("sequence", "plateau"):
    VARIANTS["Schedule"][_id] = _variant("Schedule", _id, SCHEDULES[_id].title, _schedule_doc(SCHEDULES[_id]),
                                         SCHEDULES[_id].params)
VARIANTS["Schedule"] = {id_: VARIANTS["Schedule"][id_] for id_ in SCHEDULES}  # registry order

LANDSCAPE_UNION = _union(list(VARIANTS["Landscape"].values()))
OPTIMIZER_UNION = optimizer_union()
SCHEDULE_UNION = _union(list(VARIANTS["Schedule"].values()))


class DocumentedAs:
    """An annotation: validate as the annotated type, publish `documented`'s JSON schema (its models become
    components of the OpenAPI document)."""

    def __init__(self, documented: Any):
        self.core_schema = TypeAdapter(documented).core_schema

    def __get_pydantic_json_schema__(self, schema, handler):
        return handler(self.core_schema)
