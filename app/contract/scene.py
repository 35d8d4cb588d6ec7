"""The scene: pydantic models, normalisation (every default filled) and the documented limits.

Structure (types, required fields, unknown fields) is checked by the models; parameters are checked against the
registries' parameter lists, with defaults written in T taking T = steps (a sequence part's T is its length).
Every problem is reported at once, each with its location (`runs.0.schedule.params.step_size`) and the allowed
range. `Scene.model_validate(data).model_dump()` is the normalised scene; normalising it again changes nothing.

Example:
    >>> scene = Scene.model_validate({"landscape": {"id": "rosenbrock"}, "steps": 500,
    ...                               "runs": [{"schedule": {"id": "step", "params": {"lr": 0.02}}}]})
    >>> scene.runs[0].schedule.params
    {'lr': 0.02, 'step_size': 100, 'gamma': 0.5}
    >>> scene.runs[0].start
    (-2.0, 2.0)
"""
from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from landscapes import LANDSCAPES
from ..vocabulary.limits import (MAX_AXIS_VALUES, MAX_BASIN_N, MAX_CLIP_NORM, MAX_GRID_WORK, MAX_ID_LENGTH,
                                 MAX_LABEL_LENGTH, MAX_NOISE_STD, MAX_RANGE_TEST_LR, MAX_RANGE_TEST_STEPS, MAX_RUN_STEPS,
                                 MAX_RUNS, MAX_SEED, MAX_SEEDS, MAX_SEQUENCE_PARTS, MAX_STEPS, MAX_TOLERANCE,
                                 MIN_AXIS_VALUES, MIN_BASIN_N, MIN_RANGE_TEST_LR, MIN_RANGE_TEST_STEPS, MIN_SEEDS)
from ..vocabulary.params import Param, ParamErrors, resolve_params

from landscapes import typed
from ..optimizers import OPTIMIZERS, resolve_optimizer
from ..features.presets import PRESETS
from ..schedules import SCHEDULES
from ..schedules.piecewise import PLATEAU_PARAMS

CURRENT_VERSION = 1
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")

PLATEAU_OPTION_PARAMS: tuple[Param, ...] = tuple(p for p in PLATEAU_PARAMS) + (
    Param("min_scale", "the scale never falls below this (min_lr/lr)", 0.0, min=0, max=1),
)

STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


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
    seed: int = Field(0, strict=True, ge=0, le=MAX_SEED)


class Run(BaseModel):
    model_config = STRICT
    label: str = Field("", max_length=MAX_LABEL_LENGTH)
    optimizer: OptimizerChoice = Field(default_factory=lambda: OptimizerChoice(id="sgd"))
    schedule: ScheduleChoice = Field(default_factory=lambda: ScheduleChoice(id="constant"))
    start: tuple[StrictFloat, StrictFloat] | None = Field(None, description="θ_0; default: the landscape's first suggested start")
    clip_norm: float | None = Field(None, strict=True, gt=0, le=MAX_CLIP_NORM,
                                   description="clip the gradient by global norm; null: off")
    noise: Noise = Field(default_factory=Noise)
    plateau: dict[str, Any] | None = Field(None, description="reduce-on-plateau over any schedule; null: off")
    colour: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")
    visible: bool = Field(True, strict=True)


EXAMPLE_SCENE = {"landscape": {"id": "rosenbrock"}, "steps": 400, "runs": [
    {"optimizer": {"id": "adam"}, "schedule": {"id": "cosine", "params": {"lr": 0.05}}},
    {"optimizer": {"id": "momentum"}, "schedule": {"id": "step", "params": {"lr": 0.001}}, "clip_norm": 5.0}]}


class Scene(BaseModel):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [EXAMPLE_SCENE]})
    version: int = Field(CURRENT_VERSION, strict=True, ge=1, le=CURRENT_VERSION)
    landscape: LandscapeChoice
    steps: int = Field(500, strict=True, ge=1, le=MAX_STEPS)
    tolerance: float = Field(1e-3, strict=True, gt=0, le=MAX_TOLERANCE, description="loss gap to the lowest minimum for steps_to_tolerance")
    runs: list[Run] = Field(min_length=1, max_length=MAX_RUNS)
    preset: str | None = Field(None, max_length=MAX_ID_LENGTH, description="the teaching preset this scene comes from (its "
                               "explanation is shown with it); null: none")

    @model_validator(mode="after")
    def normalise(self) -> "Scene":
        errors: list[InitErrorDetails] = []

        def fail(loc: tuple, message: str, value: Any = None):
            errors.append(InitErrorDetails(type=PydanticCustomError("invalid", "{message}", {"message": message}),
                                           loc=loc, input=value))

        def resolve(loc: tuple, params: tuple[Param, ...], given: dict, steps: int | None, check=None):
            try:
                values = resolve_params(params, given, steps)
            except ParamErrors as e:
                for name, message in e.errors:
                    fail(loc + (name,), message, given.get(name))
                return None
            for name, message in (check(values, steps) if check else []):
                fail(loc + (name,), message, values.get(name))
            return values

        landscape = LANDSCAPES.get(self.landscape.id)
        if self.landscape.id == "expression":
            landscape = _expression_landscape(self.landscape, resolve, fail)
        elif landscape is None:
            fail(("landscape", "id"), f"unknown landscape {self.landscape.id!r}; one of: "
                 f"{', '.join(LANDSCAPES)}, expression", self.landscape.id)
        else:
            values = resolve(("landscape", "params"), landscape.params, self.landscape.params, None)
            if values is not None:
                self.landscape.params = values

        if self.preset is not None and self.preset not in PRESETS:
            fail(("preset",), f"unknown preset {self.preset!r}; one of: {', '.join(PRESETS)}", self.preset)

        if len(self.runs) * self.steps > MAX_RUN_STEPS:
            fail(("steps",), f"runs × steps must be at most {MAX_RUN_STEPS}, got {len(self.runs)} × {self.steps}",
                 self.steps)

        for i, run in enumerate(self.runs):
            loc = ("runs", i)
            self._normalise_optimizer(run, loc, fail)
            run.schedule.params = self._schedule_params(run.schedule, self.steps, loc + ("schedule",), fail,
                                                        resolve) or run.schedule.params
            if run.plateau is not None:
                if run.schedule.id == "plateau":
                    fail(loc + ("plateau",), "the plateau schedule already reduces on plateau; use one or the other",
                         run.plateau)
                else:
                    values = resolve(loc + ("plateau",), PLATEAU_OPTION_PARAMS, run.plateau, None,
                                     lambda v, T: [("rtol", "rtol or atol must be positive")]
                                     if v["rtol"] == 0 and v["atol"] == 0 else [])
                    run.plateau = values if values is not None else run.plateau
            if landscape is not None:
                if run.start is None:
                    run.start = (landscape.starts[0].x, landscape.starts[0].y)
                (x0, x1), (y0, y1) = landscape.escape_box()
                if not (x0 <= run.start[0] <= x1 and y0 <= run.start[1] <= y1):
                    fail(loc + ("start",), f"must lie in [{x0:g}, {x1:g}] × [{y0:g}, {y1:g}] (twice the plot "
                         f"domain), got {list(run.start)}", list(run.start))
            if run.colour is None:
                run.colour = PALETTE[i % len(PALETTE)]
            if not run.label:
                run.label = f"{run.optimizer.id} + {run.schedule.id}"

        if errors:
            raise ValidationError.from_exception_data("Scene", errors)
        return self

    @staticmethod
    def _normalise_optimizer(run: Run, loc: tuple, fail) -> None:
        optimizer = run.optimizer
        if optimizer.id not in OPTIMIZERS:
            fail(loc + ("optimizer", "id"), f"unknown optimizer {optimizer.id!r}; one of: {', '.join(OPTIMIZERS)}",
                 optimizer.id)
            return
        try:
            optimizer.params = resolve_optimizer(optimizer.id, optimizer.params)
        except ParamErrors as e:
            for name, message in e.errors:
                fail(loc + ("optimizer", "params", name), message, optimizer.params.get(name))

    @staticmethod
    def _schedule_params(schedule: Component, steps: int, loc: tuple, fail, resolve) -> dict | None:
        spec = SCHEDULES.get(schedule.id)
        if spec is None:
            fail(loc + ("id",), f"unknown schedule {schedule.id!r}; one of: {', '.join(SCHEDULES)}", schedule.id)
            return None
        if schedule.id != "sequence":
            return resolve(loc + ("params",), spec.params, schedule.params, steps, spec.check)
        return _sequence_params(schedule.params, steps, loc + ("params",), fail, resolve)


def _expression_landscape(component: Component, resolve, fail):
    """Check a typed landscape {f, domain, constants}; return its Landscape, or None when it is not valid."""
    values = resolve(("landscape", "params"), typed.PARAMS, component.params, None)
    if values is None:
        return None
    try:
        landscape, component.params = typed.resolve_typed(values)
    except ParamErrors as e:
        for name, message in e.errors:
            fail(("landscape", "params", name), message, values[name])
        return None
    return landscape


def _sequence_params(given: dict, steps: int, loc: tuple, fail, resolve) -> dict | None:
    unknown = [name for name in given if name != "parts"]
    for name in unknown:
        fail(loc + (name,), "unknown parameter; allowed: parts", given[name])
    parts = given.get("parts")
    if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_SEQUENCE_PARTS:
        fail(loc + ("parts",), f"must be a list of 1 to {MAX_SEQUENCE_PARTS} parts {{schedule, steps}}", parts)
        return None
    normalised, used = [], 0
    for j, part in enumerate(parts):
        ploc = loc + ("parts", j)
        last = j == len(parts) - 1
        if not isinstance(part, dict) or set(part) - {"schedule", "steps"} or "schedule" not in part:
            fail(ploc, "must be {schedule: {id, params}, steps}", part)
            return None
        length = part.get("steps")
        if last:
            if length is not None:
                fail(ploc + ("steps",), "must be omitted: the last part runs for the rest", length)
                return None
            length = steps - used
        elif not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= steps - used - 1:
            fail(ploc + ("steps",), f"must be an integer in [1, {steps - used - 1}] (the parts before the last must "
                 f"leave at least one step of the {steps} to the last)", length)
            return None
        try:
            schedule = Component.model_validate(part["schedule"])
        except ValidationError as e:
            for err in e.errors():
                fail(ploc + ("schedule",) + tuple(err["loc"]), err["msg"], err.get("input"))
            return None
        if schedule.id in ("sequence", "plateau"):
            fail(ploc + ("schedule", "id"), f"{schedule.id!r} cannot be a part of a sequence (use the run's plateau "
                 "option over the whole sequence)" if schedule.id == "plateau" else "sequences do not nest",
                 schedule.id)
            return None
        spec = SCHEDULES.get(schedule.id)
        if spec is None:
            fail(ploc + ("schedule", "id"), f"unknown schedule {schedule.id!r}", schedule.id)
            return None
        values = resolve(ploc + ("schedule", "params"), spec.params, schedule.params, length, spec.check)
        if values is None:
            return None
        entry = {"schedule": {"id": schedule.id, "params": values}}
        if not last:
            entry["steps"] = length
        normalised.append(entry)
        used += length
    return {"parts": normalised}


def normalise(data: Any) -> dict:
    """Validate and normalise a scene (a dict); raises pydantic.ValidationError. Upgrades older versions."""
    return Scene.model_validate(upgrade(data)).model_dump()


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


# ---- requests beyond a scene: basin maps, sweeps, range test, seed bands (app/explore.py) ----

SWEEP_PARAMS = ("schedule.params.<name>", "optimizer.params.<name>", "optimizer.params.inner.params.<name>",
                "start.0", "start.1", "clip_norm", "noise.std", "steps")


def _fail(errors: list, loc: tuple, message: str, value: Any = None):
    errors.append(InitErrorDetails(type=PydanticCustomError("invalid", "{message}", {"message": message}), loc=loc,
                                   input=value))


class RunRequest(BaseModel):
    """One run of a scene, picked by its index."""

    model_config = STRICT
    scene: Scene
    run: int = Field(0, strict=True, ge=0, description="index of the run in scene.runs")

    def _check_run(self, errors: list):
        if self.run >= len(self.scene.runs):
            _fail(errors, ("run",), f"must be below the number of runs ({len(self.scene.runs)}), got {self.run}",
                  self.run)


class BasinRequest(RunRequest):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [{"scene": EXAMPLE_SCENE, "run": 0, "n": 32}]})
    n: int = Field(64, strict=True, ge=MIN_BASIN_N, le=MAX_BASIN_N, description="grid size: n x n starts over the plot domain")

    @model_validator(mode="after")
    def check(self):
        errors: list = []
        self._check_run(errors)
        if self.n * self.n * self.scene.steps > MAX_GRID_WORK:
            _fail(errors, ("n",), f"n² × steps must be at most {MAX_GRID_WORK}, got {self.n}² × {self.scene.steps}",
                  self.n)
        if errors:
            raise ValidationError.from_exception_data("BasinRequest", errors)
        return self


class Axis(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)
    param: str = Field(description="what varies: " + ", ".join(SWEEP_PARAMS))
    values: list[StrictFloat] | None = Field(None, min_length=1, max_length=MAX_AXIS_VALUES)
    start: float | None = Field(None, strict=True, alias="from")
    stop: float | None = Field(None, strict=True, alias="to")
    n: int = Field(16, strict=True, ge=MIN_AXIS_VALUES, le=MAX_AXIS_VALUES)
    scale: str = Field("linear", pattern="^(linear|log)$")

    @model_validator(mode="after")
    def check(self):
        if self.values is None and (self.start is None or self.stop is None):
            raise ValueError("give either values or from and to")
        if self.scale == "log" and self.values is None and (self.start <= 0 or self.stop <= 0):
            raise ValueError("a log axis needs from and to above 0")
        return self

    def spec(self) -> dict:
        return {"param": self.param, "values": self.values, "from": self.start, "to": self.stop, "n": self.n,
                "scale": self.scale}


class SweepRequest(RunRequest):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [{"scene": EXAMPLE_SCENE, "run": 1, "x": {"param": "schedule.params.lr", "from": 1e-4, "to": 1e-2, "n": 8, "scale": "log"}}]})
    x: Axis
    y: Axis | None = None
    _sparse: dict | None = None  # the scene as written (before defaults), for a steps axis

    @model_validator(mode="wrap")
    @classmethod
    def keep_sparse(cls, data, handler):
        """Keep the scene as written: on a steps axis each length fills its own defaults written in T."""
        from ..features.sweeps import axis_values

        request = handler(data)
        if isinstance(data, dict) and isinstance(data.get("scene"), dict):
            request._sparse = upgrade(copy.deepcopy(data["scene"]))
        errors: list = []
        for name, axis in [("x", request.x), ("y", request.y)]:
            if axis is None or axis.param != "steps":
                continue
            for i, value in enumerate(axis_values(axis.spec())):
                if float(value) != int(value):
                    _fail(errors, (name, "values", i), f"steps must be whole numbers, got {value:g}", float(value))
                    break
                try:
                    Scene.model_validate({**(request._sparse or request.scene.model_dump()), "steps": int(value)})
                except ValidationError as e:
                    for err in e.errors():
                        loc = ".".join(str(p) for p in err["loc"])
                        _fail(errors, (name, "values", i), f"steps = {int(value)}: {loc}: {err['msg']}", float(value))
                    break
        if errors:
            raise ValidationError.from_exception_data("SweepRequest", errors)
        return request

    @model_validator(mode="after")
    def check(self):
        from ..features.sweeps import axis_values, set_path

        errors: list = []
        self._check_run(errors)
        if errors:
            raise ValidationError.from_exception_data("SweepRequest", errors)
        run = self.scene.runs[self.run].model_dump()
        axes = [("x", self.x)] + ([("y", self.y)] if self.y else [])
        cells = 1
        for name, axis in axes:
            path = axis.param
            allowed = (path.startswith(("schedule.params.", "optimizer.params.")) and "parts" not in path) or \
                path in ("start.0", "start.1", "clip_norm", "noise.std", "steps")
            if not allowed or path.endswith(".inner"):
                _fail(errors, (name, "param"), f"cannot be swept; one of: {', '.join(SWEEP_PARAMS)}", path)
                continue
            values = axis_values(axis.spec())
            cells *= len(values)
            if path == "steps":
                continue  # checked against the scene as written, in keep_sparse
            for i, value in enumerate(values):  # every value is checked exactly as a scene would be
                try:
                    Scene.model_validate({**self.scene.model_dump(), "runs": [set_path(run, path, float(value))]})
                except ValidationError as e:
                    for err in e.errors():
                        _fail(errors, (name, "values", i), f"{path} = {value:g}: {err['msg']}", float(value))
                    break
        if cells * self.scene.steps > MAX_GRID_WORK:
            _fail(errors, ("x", "n"), f"cells × steps must be at most {MAX_GRID_WORK}", cells)
        if errors:
            raise ValidationError.from_exception_data("SweepRequest", errors)
        return self


class RangeTestRequest(RunRequest):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [{"scene": EXAMPLE_SCENE, "run": 0, "steps": 200}]})
    min_lr: float = Field(1e-5, strict=True, ge=MIN_RANGE_TEST_LR, le=MAX_RANGE_TEST_LR)
    max_lr: float = Field(1.0, strict=True, gt=0, le=MAX_RANGE_TEST_LR)
    steps: int = Field(500, strict=True, ge=MIN_RANGE_TEST_STEPS, le=MAX_RANGE_TEST_STEPS)
    mode: str = Field("exponential", pattern="^(linear|exponential)$")

    @model_validator(mode="after")
    def check(self):
        errors: list = []
        self._check_run(errors)
        if self.max_lr <= self.min_lr:
            _fail(errors, ("max_lr",), f"must be above min_lr ({self.min_lr:g}), got {self.max_lr:g}", self.max_lr)
        if errors:
            raise ValidationError.from_exception_data("RangeTestRequest", errors)
        return self


class SeedsRequest(RunRequest):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [{"scene": {**EXAMPLE_SCENE, "runs": [{**EXAMPLE_SCENE["runs"][0], "noise": {"std": 0.5, "seed": 1}}]}, "run": 0, "seeds": 4}]})
    seeds: int = Field(8, strict=True, ge=MIN_SEEDS, le=MAX_SEEDS)

    @model_validator(mode="after")
    def check(self):
        errors: list = []
        self._check_run(errors)
        if not errors and self.scene.runs[self.run].noise.std == 0:
            _fail(errors, ("scene", "runs", self.run, "noise", "std"), "must be above 0: seeds differ only by noise",
                  0.0)
        if self.seeds * self.scene.steps > MAX_RUN_STEPS:
            _fail(errors, ("seeds",), f"seeds × steps must be at most {MAX_RUN_STEPS}", self.seeds)
        if errors:
            raise ValidationError.from_exception_data("SeedsRequest", errors)
        return self
