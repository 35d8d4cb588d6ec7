"""The scene: pydantic models and their normalisation (every default filled, every limit checked).

Structure (types, required fields, unknown fields) is checked by the models; then a `SceneNormaliser` checks the
parameters against the registries' parameter lists, with defaults written in T taking T = steps (a sequence part's
T is its length), and collects every problem at once (`Problems`), each with its location
(`runs.0.schedule.params.step_size`) and the allowed range. `Scene.model_validate(data).model_dump()` is the
normalised scene; normalising it again changes nothing. A validated Scene also keeps what its landscape resolved to
(`Scene.resolved_landscape`), so nothing is parsed or resolved again (`app.contract.plans.plan_of`).

Example:
    >>> scene = Scene.model_validate({"landscape": {"id": "rosenbrock"}, "steps": 500,
    ...                               "runs": [{"schedule": {"id": "step", "params": {"lr": 0.02}}}]})
    >>> scene.runs[0].schedule.params
    {'lr': 0.02, 'step_size': 100, 'gamma': 0.5}
    >>> scene.runs[0].start, scene.resolved_landscape.id
    ((-2.0, 2.0), 'rosenbrock')
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, Field, PrivateAttr, StrictFloat, ValidationError, model_validator

from landscapes import LANDSCAPES, Landscape, typed

from ..engine.stop import inside
from ..features.presets import PRESETS
from ..optimizers import OPTIMIZERS, resolve_optimizer
from ..schedules import SCHEDULES
from ..schedules.piecewise import PLATEAU_PARAMS
from ..vocabulary.limits import (MAX_CLIP_NORM, MAX_ID_LENGTH, MAX_INTERNALS_RUN_STEPS, MAX_LABEL_LENGTH, MAX_NOISE_STD,
                                 MAX_RUN_STEPS, MAX_RUNS, MAX_SEED, MAX_SEQUENCE_PARTS, MAX_STEPS, MAX_TOLERANCE)
from ..vocabulary.params import Param, ParamErrors, resolve_params
from .problems import Problems
from .schemas import LANDSCAPE_UNION, OPTIMIZER_UNION, SCHEDULE_UNION, DocumentedAs, params_model

CURRENT_VERSION = 1
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")

PLATEAU_OPTION_PARAMS: tuple[Param, ...] = tuple(p for p in PLATEAU_PARAMS) + (
    Param("min_scale", "the scale never falls below this (min_lr/lr)", 0.0, min=0, max=1),
)

PLATEAU_OPTIONS = params_model("plateau", PLATEAU_OPTION_PARAMS, "PlateauOption")


def _plateau_option_check(values: dict, steps: int | None) -> list[tuple[str, str]]:
    return [("rtol", "rtol or atol must be positive")] if values["rtol"] == 0 and values["atol"] == 0 else []


STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer as JSON Schema means it: 3 or 3.0 (what a JSON library may write), never "3", 3.5 or true.
Whole = Annotated[int, BeforeValidator(_whole), Strict()]


class Component(BaseModel):
    """A landscape, optimizer or schedule: its id and parameters (omitted ones take their defaults)."""

    model_config = STRICT
    id: str = Field(max_length=MAX_ID_LENGTH)
    params: dict[str, Any] = Field(default_factory=dict)


def _ids(*registries) -> dict:
    """The JSON schema's list of allowed ids (documentation and fuzzing; the validator says the same in words)."""
    return {"enum": [name for registry in registries for name in registry]}


class LandscapeChoice(Component):
    id: str = Field(max_length=MAX_ID_LENGTH, json_schema_extra=_ids(LANDSCAPES, ["expression"]))


class OptimizerChoice(Component):
    id: str = Field(max_length=MAX_ID_LENGTH, json_schema_extra=_ids(OPTIMIZERS))


class ScheduleChoice(Component):
    id: str = Field(max_length=MAX_ID_LENGTH, json_schema_extra=_ids(SCHEDULES))


class Noise(BaseModel):
    """Gaussian noise of standard deviation `std` added to every gradient, seeded."""

    model_config = STRICT
    std: float = Field(0.0, strict=True, ge=0, le=MAX_NOISE_STD)
    seed: Whole = Field(0, ge=0, le=MAX_SEED)


class Run(BaseModel):
    model_config = STRICT
    label: str = Field("", max_length=MAX_LABEL_LENGTH)
    optimizer: Annotated[OptimizerChoice, DocumentedAs(OPTIMIZER_UNION)] = Field(default_factory=lambda: OptimizerChoice(id="sgd"))
    schedule: Annotated[ScheduleChoice, DocumentedAs(SCHEDULE_UNION)] = Field(default_factory=lambda: ScheduleChoice(id="constant"))
    start: tuple[StrictFloat, StrictFloat] | None = Field(None, description="θ_0; default: the landscape's first suggested start")
    clip_norm: float | None = Field(None, strict=True, gt=0, le=MAX_CLIP_NORM,
                                   description="clip the gradient by global norm; null: off")
    noise: Noise = Field(default_factory=Noise)
    plateau: Annotated[dict[str, Any], DocumentedAs(PLATEAU_OPTIONS)] | None = Field(None, description="reduce-on-plateau over any schedule; null: off")
    colour: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    visible: bool = Field(True, strict=True)


EXAMPLE_SCENE = {"landscape": {"id": "rosenbrock"}, "steps": 400, "runs": [
    {"optimizer": {"id": "adam"}, "schedule": {"id": "cosine", "params": {"lr": 0.05}}},
    {"optimizer": {"id": "momentum"}, "schedule": {"id": "step", "params": {"lr": 0.001}}, "clip_norm": 5.0}]}


class Scene(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [EXAMPLE_SCENE]})
    version: Whole = Field(CURRENT_VERSION, ge=1, le=CURRENT_VERSION)
    landscape: Annotated[LandscapeChoice, DocumentedAs(LANDSCAPE_UNION)]
    steps: Whole = Field(500, ge=1, le=MAX_STEPS)
    tolerance: float = Field(1e-3, strict=True, gt=0, le=MAX_TOLERANCE, description="loss gap to the lowest minimum for steps_to_tolerance")
    runs: list[Run] = Field(min_length=1, max_length=MAX_RUNS)
    preset: str | None = Field(None, max_length=MAX_ID_LENGTH, json_schema_extra={"enum": [*PRESETS, None]},
                               description="the teaching preset this scene comes from (its "
                               "explanation is shown with it); null: none")
    # written only when true, so every other scene (and its permalink) stays as it was
    internals: bool = Field(False, strict=True, exclude_if=lambda v: not v, description="each run also carries "
                            "`internals`: every update's gradient, step and optimizer state; runs × steps then at "
                            f"most {MAX_INTERNALS_RUN_STEPS} (omitted from the normalised scene when false)")

    _landscape: Landscape | None = PrivateAttr(None)

    @model_validator(mode="after")
    def normalise(self) -> "Scene":
        self._landscape = SceneNormaliser(self).normalise()
        return self

    @property
    def resolved_landscape(self) -> Landscape:
        """The Landscape this scene's {id, params} resolved to (a typed landscape built once, then cached)."""
        return self._landscape


class SceneNormaliser:
    """Normalises a Scene whose structure its model has checked, in place: fills every default, checks every
    parameter against its registry's list, and collects every problem with its location, raised together."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self.problems = Problems("Scene")

    def normalise(self) -> Landscape | None:
        """The scene's Landscape (None when it is not valid); raises ValidationError listing every problem."""
        landscape = self.landscape()
        self.preset()
        self.work()
        for i, run in enumerate(self.scene.runs):
            self.run(("runs", i), run, landscape, PALETTE[i % len(PALETTE)])
        self.problems.raise_if_any()
        return landscape

    def resolve(self, loc: tuple, params: tuple[Param, ...], given: dict, steps: int | None,
                check=None) -> dict | None:
        """`given` checked against a parameter list, defaults filled; None (and problems noted) if not valid."""
        try:
            values = resolve_params(params, given, steps)
        except ParamErrors as e:
            self.problems.add_param_errors(loc, e, given)
            return None
        for name, message in (check(values, steps) if check else []):
            self.problems.add(loc + (name,), message, values.get(name))
        return values

    def landscape(self) -> Landscape | None:
        choice = self.scene.landscape
        if choice.id == "expression":
            return self.typed_landscape(choice)
        landscape = LANDSCAPES.get(choice.id)
        if landscape is None:
            self.problems.add(("landscape", "id"), f"unknown landscape {choice.id!r}; one of: "
                              f"{', '.join(LANDSCAPES)}, expression", choice.id)
            return None
        values = self.resolve(("landscape", "params"), landscape.params, choice.params, None)
        if values is not None:
            choice.params = values
        return landscape

    def typed_landscape(self, choice: Component) -> Landscape | None:
        """A typed landscape {f, domain, constants}: its Landscape, or None when it is not valid."""
        values = self.resolve(("landscape", "params"), typed.PARAMS, choice.params, None)
        if values is None:
            return None
        try:
            landscape, choice.params = typed.resolve_typed(values)
        except ParamErrors as e:
            self.problems.add_param_errors(("landscape", "params"), e, values)
            return None
        return landscape

    def preset(self) -> None:
        preset = self.scene.preset
        if preset is not None and preset not in PRESETS:
            self.problems.add(("preset",), f"unknown preset {preset!r}; one of: {', '.join(PRESETS)}", preset)

    def work(self) -> None:
        runs, steps = len(self.scene.runs), self.scene.steps
        if runs * steps > MAX_RUN_STEPS:
            self.problems.add(("steps",), f"runs × steps must be at most {MAX_RUN_STEPS}, got {runs} × {steps}",
                              steps)
        elif self.scene.internals and runs * steps > MAX_INTERNALS_RUN_STEPS:
            self.problems.add(("internals",), f"with internals, runs × steps must be at most "
                              f"{MAX_INTERNALS_RUN_STEPS}, got {runs} × {steps}", True)

    def run(self, loc: tuple, run: Run, landscape: Landscape | None, colour: str) -> None:
        self.optimizer(loc + ("optimizer",), run.optimizer)
        run.schedule.params = self.schedule(loc + ("schedule",), run.schedule, self.scene.steps) or run.schedule.params
        if run.plateau is not None:
            self.plateau(loc + ("plateau",), run)
        if landscape is not None:
            self.start(loc + ("start",), run, landscape)
        if run.colour is None:
            run.colour = colour
        if not run.label:
            run.label = f"{run.optimizer.id} + {run.schedule.id}"

    def optimizer(self, loc: tuple, optimizer: Component) -> None:
        if optimizer.id not in OPTIMIZERS:
            self.problems.add(loc + ("id",), f"unknown optimizer {optimizer.id!r}; one of: {', '.join(OPTIMIZERS)}",
                              optimizer.id)
            return
        try:
            optimizer.params = resolve_optimizer(optimizer.id, optimizer.params)
        except ParamErrors as e:
            self.problems.add_param_errors(loc + ("params",), e, optimizer.params)

    def schedule(self, loc: tuple, schedule: Component, steps: int) -> dict | None:
        spec = SCHEDULES.get(schedule.id)
        if spec is None:
            self.problems.add(loc + ("id",), f"unknown schedule {schedule.id!r}; one of: {', '.join(SCHEDULES)}",
                              schedule.id)
            return None
        if schedule.id != "sequence":
            return self.resolve(loc + ("params",), spec.params, schedule.params, steps, spec.check)
        return self.sequence(loc + ("params",), schedule.params, steps)

    def plateau(self, loc: tuple, run: Run) -> None:
        if run.schedule.id == "plateau":
            self.problems.add(loc, "the plateau schedule already reduces on plateau; use one or the other",
                              run.plateau)
            return
        values = self.resolve(loc, PLATEAU_OPTION_PARAMS, run.plateau, None, _plateau_option_check)
        run.plateau = values if values is not None else run.plateau

    def start(self, loc: tuple, run: Run, landscape: Landscape) -> None:
        """θ_0: the landscape's first suggested start by default; inside the box the stop rule uses."""
        if run.start is None:
            run.start = (landscape.starts[0].x, landscape.starts[0].y)
        if not inside(landscape, *run.start):
            (x0, x1), (y0, y1) = landscape.escape_box()
            self.problems.add(loc, f"must lie in [{x0:g}, {x1:g}] × [{y0:g}, {y1:g}] (twice the plot domain), got "
                              f"{list(run.start)}", list(run.start))

    def sequence(self, loc: tuple, given: dict, steps: int) -> dict | None:
        """A sequence's parts, each resolved at its own length; None at the first part that is not valid."""
        for name in given:
            if name != "parts":
                self.problems.add(loc + (name,), "unknown parameter; allowed: parts", given[name])
        parts = given.get("parts")
        if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_SEQUENCE_PARTS:
            self.problems.add(loc + ("parts",), f"must be a list of 1 to {MAX_SEQUENCE_PARTS} parts "
                              "{schedule, steps}", parts)
            return None
        normalised, used = [], 0
        for j, part in enumerate(parts):
            ploc = loc + ("parts", j)
            last = j == len(parts) - 1
            if not isinstance(part, dict) or set(part) - {"schedule", "steps"} or "schedule" not in part:
                self.problems.add(ploc, "must be {schedule: {id, params}, steps}", part)
                return None
            length = _whole(part.get("steps"))
            if last:
                if length is not None:
                    self.problems.add(ploc + ("steps",), "must be omitted: the last part runs for the rest", length)
                    return None
                length = steps - used
            elif not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= steps - used - 1:
                self.problems.add(ploc + ("steps",), f"must be an integer in [1, {steps - used - 1}] (the parts before "
                                  f"the last must leave at least one step of the {steps} to the last)", length)
                return None
            try:
                schedule = Component.model_validate(part["schedule"])
            except ValidationError as e:
                self.problems.add_validation_error(ploc + ("schedule",), e)
                return None
            if schedule.id in ("sequence", "plateau"):
                self.problems.add(ploc + ("schedule", "id"), f"{schedule.id!r} cannot be a part of a sequence (use the "
                                  "run's plateau option over the whole sequence)" if schedule.id == "plateau"
                                  else "sequences do not nest", schedule.id)
                return None
            spec = SCHEDULES.get(schedule.id)
            if spec is None:
                self.problems.add(ploc + ("schedule", "id"), f"unknown schedule {schedule.id!r}", schedule.id)
                return None
            values = self.resolve(ploc + ("schedule", "params"), spec.params, schedule.params, length, spec.check)
            if values is None:
                return None
            entry = {"schedule": {"id": schedule.id, "params": values}}
            if not last:
                entry["steps"] = length
            normalised.append(entry)
            used += length
        return {"parts": normalised}


def scene_of(data: Any) -> Scene:
    """The validated Scene of a scene of any version (a dict), or the Scene itself; raises ValidationError."""
    return data if isinstance(data, Scene) else Scene.model_validate(upgrade(data))


def normalise(data: Any) -> dict:
    """Validate and normalise a scene (a dict); raises pydantic.ValidationError. Upgrades older versions."""
    return scene_of(data).model_dump()


UPGRADES: dict[int, Any] = {}  # version -> function taking a scene of that version to the next one


def upgrade(data: Any) -> Any:
    """Bring a scene of any version ever written up to CURRENT_VERSION (a missing version is 1)."""
    if not isinstance(data, dict):
        return data
    version = data.get("version", 1)
    while isinstance(version, int) and version in UPGRADES and version < CURRENT_VERSION:
        data = UPGRADES[version](data)
        version = data["version"]
    return data


def error_lines(error: ValidationError) -> list[str]:
    """One readable line per problem: `runs.0.schedule.params.lr: must be in (0, 10], got 20`."""
    return [f"{'.'.join(str(p) for p in e['loc']) or 'scene'}: {e['msg']}" for e in error.errors()]
