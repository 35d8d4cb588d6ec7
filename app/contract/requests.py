"""Requests beyond a scene: basin maps, sweeps, tunes, the LR range test and seed bands, each about one run of a
scene.

Each model validates its request and resolves it once: a sweep keeps the scene at each length of a steps axis,
the range test the scene of its ramp, the seed bands the scene of their seeds, so the answer
(`app.contract.compute`) only builds plans from scenes already validated. Every problem is reported at once, at
its location.

Example:
    >>> from app.contract.scene import EXAMPLE_SCENE
    >>> request = RangeTestRequest.model_validate({"scene": EXAMPLE_SCENE, "run": 1, "steps": 100})
    >>> request.test_scene.runs[0].schedule.id, request.test_scene.steps
    ('exponential', 100)
"""
from __future__ import annotations

import copy

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictFloat, ValidationError, model_validator

from ..features.range_test import ramp_schedule
from ..features.seeds import seed_runs
from ..features.sweeps import SWEEP_PARAMS, axis_values, set_path, sweepable
from ..features.tune import METRICS, rate_param
from ..schedules import SCHEDULES
from ..vocabulary.limits import (MAX_AXIS_VALUES, MAX_BASIN_N, MAX_GRID_WORK, MAX_RANGE_TEST_LR, MAX_RANGE_TEST_STEPS,
                                 MAX_RUN_STEPS, MAX_SEEDS, MAX_TUNE_N, MIN_AXIS_VALUES, MIN_BASIN_N,
                                 MIN_RANGE_TEST_LR, MIN_RANGE_TEST_STEPS, MIN_SEEDS, MIN_TUNE_N)
from ..vocabulary.params import ParamErrors, resolve_params
from .problems import Problems
from .scene import EXAMPLE_SCENE, STRICT, Scene, upgrade


class RunRequest(BaseModel):
    """One run of a scene, picked by its index."""

    model_config = STRICT
    scene: Scene
    run: int = Field(0, strict=True, ge=0, description="index of the run in scene.runs")

    def _check_run(self, problems: Problems) -> None:
        if self.run >= len(self.scene.runs):
            problems.add(("run",), f"must be below the number of runs ({len(self.scene.runs)}), got {self.run}",
                         self.run)


class BasinRequest(RunRequest):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [{"scene": EXAMPLE_SCENE, "run": 0, "n": 32}]})
    n: int = Field(64, strict=True, ge=MIN_BASIN_N, le=MAX_BASIN_N,
                   description="grid size: n x n starts over the plot domain")

    @model_validator(mode="after")
    def check(self):
        problems = Problems("BasinRequest")
        self._check_run(problems)
        if self.n * self.n * self.scene.steps > MAX_GRID_WORK:
            problems.add(("n",), f"n² × steps must be at most {MAX_GRID_WORK}, got {self.n}² × {self.scene.steps}",
                         self.n)
        problems.raise_if_any()
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
    _sparse: dict | None = PrivateAttr(None)  # the scene as written (before defaults), for a steps axis
    _at_length: dict[int, Scene] = PrivateAttr(default_factory=dict)  # a steps axis: the scene at each length

    @model_validator(mode="wrap")
    @classmethod
    def keep_sparse(cls, data, handler):
        """Keep the scene as written: on a steps axis each length fills its own defaults written in T."""
        request = handler(data)
        if isinstance(data, dict) and isinstance(data.get("scene"), dict):
            request._sparse = upgrade(copy.deepcopy(data["scene"]))
        problems = Problems("SweepRequest")
        for name, axis in [("x", request.x), ("y", request.y)]:
            if axis is None or axis.param != "steps":
                continue
            for i, value in enumerate(axis_values(axis.spec())):
                if float(value) != int(value):
                    problems.add((name, "values", i), f"steps must be whole numbers, got {value:g}", float(value))
                    break
                try:
                    scene = Scene.model_validate({**(request._sparse or request.scene.model_dump()),
                                                  "steps": int(value)})
                except ValidationError as e:
                    for err in e.errors():
                        loc = ".".join(str(p) for p in err["loc"])
                        problems.add((name, "values", i), f"steps = {int(value)}: {loc}: {err['msg']}", float(value))
                    break
                request._at_length[int(value)] = scene
        problems.raise_if_any()
        return request

    @model_validator(mode="after")
    def check(self):
        problems = Problems("SweepRequest")
        self._check_run(problems)
        problems.raise_if_any()
        run = self.scene.runs[self.run].model_dump()
        cells = 1
        for name, axis in self.named_axes():
            path = axis.param
            if not sweepable(path):
                problems.add((name, "param"), f"cannot be swept; one of: {', '.join(SWEEP_PARAMS)}", path)
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
                        problems.add((name, "values", i), f"{path} = {value:g}: {err['msg']}", float(value))
                    break
        if cells * self.scene.steps > MAX_GRID_WORK:
            problems.add(("x", "n"), f"cells × steps must be at most {MAX_GRID_WORK}", cells)
        problems.raise_if_any()
        return self

    def named_axes(self) -> list[tuple[str, Axis]]:
        return [("x", self.x)] + ([("y", self.y)] if self.y else [])

    def axes(self) -> list[dict]:
        return [axis.spec() for _, axis in self.named_axes()]

    @property
    def steps_axis(self) -> Axis | None:
        return next((axis for _, axis in self.named_axes() if axis.param == "steps"), None)

    @property
    def swept_scene(self) -> Scene:
        """The scene the grid runs: at its longest length on a steps axis, where each cell stops at its own."""
        if self.steps_axis is None:
            return self.scene
        return self._at_length[int(max(axis_values(self.steps_axis.spec())))]

    def schedules_at_length(self) -> dict[int, tuple[str, dict]] | None:
        """On a steps axis: the run's schedule (id, resolved params) at each length (its defaults written in T)."""
        if self.steps_axis is None:
            return None
        return {length: (scene.runs[self.run].schedule.id, scene.runs[self.run].schedule.params)
                for length, scene in self._at_length.items()}


class TuneRequest(RunRequest):
    """A log sweep of one run's base rate (`app.features.tune`): `from` and `to` default to the span of that
    parameter's slider in the catalog (1e-5 to 10 for `lr`; a cyclical schedule's `max_lr` from its `base_lr`),
    and lie within its range."""

    model_config = ConfigDict(**STRICT, populate_by_name=True, json_schema_extra={"examples": [
        {"scene": EXAMPLE_SCENE, "run": 0, "metric": "final_loss", "from": 1e-4, "to": 1.0, "n": 13}]})
    metric: Literal[METRICS] = Field("final_loss", description="final_loss (lower is better) or steps_to_tolerance "
                                     "(fewer is better)")
    start: float | None = Field(None, strict=True, alias="from", description="the lowest rate; default: the "
                                "parameter's slider minimum")
    stop: float | None = Field(None, strict=True, alias="to", description="the highest rate; default: the "
                               "parameter's slider maximum")
    n: int = Field(25, strict=True, ge=MIN_TUNE_N, le=MAX_TUNE_N, description="rates tried, log-spaced")
    _axis: dict | None = PrivateAttr(None)

    @model_validator(mode="after")
    def check(self):
        problems = Problems("TuneRequest")
        self._check_run(problems)
        problems.raise_if_any()
        schedule = self.scene.runs[self.run].schedule
        path = rate_param(schedule.params)
        if path is None:
            problems.add(("run",), f"run {self.run}'s schedule {schedule.id!r} has no base rate (lr or max_lr) to "
                         "tune", self.run)
            problems.raise_if_any()
        param = next(p for p in SCHEDULES[schedule.id].params if p.name == path.rsplit(".", 1)[1])
        slider = param.slider()
        lowest = max(slider["min"], schedule.params.get("base_lr", 0))  # a peak stays above the cycle's floor
        bounds = {"from": lowest if self.start is None else self.start,
                  "to": slider["max"] if self.stop is None else self.stop}
        for name, value in bounds.items():
            try:
                resolve_params((param,), {param.name: value}, self.scene.steps)
            except ParamErrors:
                problems.add((name,), f"must lie in {param.name}'s range {param.range_text(self.scene.steps)}, "
                             f"got {value:g}", value)
        if not problems and bounds["to"] <= bounds["from"]:
            problems.add(("to",), f"must be above from ({bounds['from']:g}), got {bounds['to']:g}", bounds["to"])
        problems.raise_if_any()
        axis = {"param": path, "from": bounds["from"], "to": bounds["to"], "n": self.n, "scale": "log"}
        try:  # every rate is checked as a scene would be (a schedule's rules across its parameters)
            SweepRequest.model_validate({"scene": self.scene, "run": self.run, "x": axis})
        except ValidationError as e:
            for err in e.errors():
                index = err["loc"][2] if err["loc"][:2] == ("x", "values") else 0
                problems.add(("from",) if index < self.n / 2 else ("to",), err["msg"], err.get("input"))
        problems.raise_if_any()
        self._axis = axis
        return self

    @property
    def axis(self) -> dict:
        """The sweep axis of the tune: {param, from, to, n, scale: "log"}."""
        return self._axis


class RangeTestRequest(RunRequest):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [{"scene": EXAMPLE_SCENE, "run": 0, "steps": 200}]})
    min_lr: float = Field(1e-5, strict=True, ge=MIN_RANGE_TEST_LR, le=MAX_RANGE_TEST_LR)
    max_lr: float = Field(1.0, strict=True, gt=0, le=MAX_RANGE_TEST_LR)
    steps: int = Field(500, strict=True, ge=MIN_RANGE_TEST_STEPS, le=MAX_RANGE_TEST_STEPS)
    mode: str = Field("exponential", pattern="^(linear|exponential)$")
    _test_scene: Scene | None = PrivateAttr(None)

    @model_validator(mode="after")
    def check(self):
        problems = Problems("RangeTestRequest")
        self._check_run(problems)
        if self.max_lr <= self.min_lr:
            problems.add(("max_lr",), f"must be above min_lr ({self.min_lr:g}), got {self.max_lr:g}", self.max_lr)
        problems.raise_if_any()
        schedule = ramp_schedule(self.min_lr, self.max_lr, self.steps, self.mode)
        test_run = {**self.scene.runs[self.run].model_dump(), "schedule": schedule, "plateau": None}
        try:
            self._test_scene = Scene.model_validate({**self.scene.model_dump(), "steps": self.steps,
                                                     "runs": [test_run], "preset": None})
        except ValidationError as e:  # the ramp itself out of range (an exponential ramp grows at most x10 a step)
            for err in e.errors():
                where = ".".join(str(p) for p in err["loc"][2:])
                problems.add(("max_lr",), f"the {self.mode} ramp from min_lr to max_lr in {self.steps} steps: "
                             f"{where}: {err['msg']}", self.max_lr)
        problems.raise_if_any()
        return self

    @property
    def test_scene(self) -> Scene:
        """The scene of the test: the run alone, its schedule the ramp, no plateau, `steps` long."""
        return self._test_scene


class SeedsRequest(RunRequest):
    model_config = ConfigDict(**STRICT, json_schema_extra={"examples": [{"scene": {**EXAMPLE_SCENE, "runs": [{**EXAMPLE_SCENE["runs"][0], "noise": {"std": 0.5, "seed": 1}}]}, "run": 0, "seeds": 4}]})
    seeds: int = Field(8, strict=True, ge=MIN_SEEDS, le=MAX_SEEDS)
    _seeds_scene: Scene | None = PrivateAttr(None)

    @model_validator(mode="after")
    def check(self):
        problems = Problems("SeedsRequest")
        self._check_run(problems)
        if not problems and self.scene.runs[self.run].noise.std == 0:
            problems.add(("scene", "runs", self.run, "noise", "std"), "must be above 0: seeds differ only by noise",
                         0.0)
        if self.seeds * self.scene.steps > MAX_RUN_STEPS:
            problems.add(("seeds",), f"seeds × steps must be at most {MAX_RUN_STEPS}", self.seeds)
        problems.raise_if_any()
        runs = seed_runs(self.scene.runs[self.run].model_dump(), self.seeds)
        self._seeds_scene = Scene.model_validate({**self.scene.model_dump(), "runs": runs, "preset": None})
        return self

    @property
    def seeds_scene(self) -> Scene:
        """The scene of the band: the run once per seed 0..seeds−1."""
        return self._seeds_scene
