"""The Python API: a scene or a request in, its answer out. Each is validated and resolved once (a dict here, or a
model the caller validated: the server validates off the event loop, then calls the `answer_*` functions), turned
into the engine's plan (`plans.plan_of`) and computed by the engine and the features.

Example:
    >>> runs = run_scene({"landscape": {"id": "booth"}, "steps": 2, "runs": [{"start": [0.0, 0.0]}]})
    >>> [round(float(v), 4) for v in runs[0].x], runs[0].status
    ([0.0, 0.34, 0.6156], 'ok')
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, NamedTuple

from ..engine.plan import Plan
from ..engine.trajectories import CHUNK_STEPS, Trajectory, run_plan, stream_plan
from ..features.basins import basin_map as basin_map_of
from ..features.export import export_script as script_of
from ..features.range_test import range_test as range_test_of
from ..features.seeds import seed_bands as seed_bands_of
from ..features.sweeps import sweep as sweep_of
from ..features.tune import tune as tune_of
from .permalink import encode
from .plans import plan_of
from .report import report_html
from .run_cache import RUNS, frozen, run_keys
from .requests import BasinRequest, RangeTestRequest, SeedsRequest, SweepRequest, TuneRequest
from .scene import Scene, scene_of
from .typed_arrays import with_typed_arrays


class Computed(NamedTuple):
    """A scene computed: the validated scene, its plan and every run, in scene order."""

    scene: Scene
    plan: Plan
    trajectories: list[Trajectory]


def computed(scene: Mapping[str, Any] | Scene) -> Computed:
    """The one path from a scene to its runs (plain data is validated first): every answer of runs goes through it."""
    valid = scene_of(scene)
    plan = plan_of(valid)
    return Computed(valid, plan, run_plan(plan))


# ---- answers of validated models ----

def answer_runs(scene: Scene, typed: bool = False) -> dict:
    """What `POST /api/runs` answers: the normalised scene and every run's result (`typed`: its arrays as
    `typed_arrays` writes them, `?arrays=bdata`). Runs answered lately come from `run_cache.RUNS`; the others are
    computed together, as a scene of those runs alone."""
    normalised = scene.model_dump()
    keys = run_keys(normalised, typed)
    runs = [RUNS.get(key) for key in keys]
    missing = [i for i, run in enumerate(runs) if run is None]
    if missing:
        rest = scene if len(missing) == len(runs) else scene.model_copy(update={"runs": [scene.runs[i] for i in missing]})
        for i, result in zip(missing, computed(rest).trajectories):
            runs[i] = with_typed_arrays(result.as_dict()) if typed else frozen(result.as_dict())
            RUNS.put(keys[i], runs[i])
    return {"scene": normalised, "runs": runs}


def answer_basins(request: BasinRequest) -> dict:
    return basin_map_of(plan_of(request.scene), request.run, request.n)


def answer_sweep(request: SweepRequest) -> dict:
    return sweep_of(plan_of(request.swept_scene), request.run, request.axes(), request.schedules_at_length())


def answer_tune(request: TuneRequest) -> dict:
    return tune_of(plan_of(request.scene), request.run, request.metric, request.axis)


def answer_range_test(request: RangeTestRequest) -> dict:
    return range_test_of(plan_of(request.test_scene), request.min_lr)


def answer_seeds(request: SeedsRequest) -> dict:
    return seed_bands_of(plan_of(request.seeds_scene))


# ---- the same from plain data (a scene of any version, or a validated Scene) ----

def run_scene(scene: Mapping[str, Any] | Scene) -> list[Trajectory]:
    """Every run of a scene, in scene order."""
    return computed(scene).trajectories


def stream_scene(scene: Mapping[str, Any] | Scene, chunk_steps: int = CHUNK_STEPS) -> Iterator[dict]:
    """The events of a stream of a scene's runs (`app.engine.trajectories.stream_plan`). Nothing is resolved or
    computed before the first event is asked for (the server asks in a worker thread)."""
    yield from stream_plan(plan_of(scene_of(scene)), chunk_steps)


def export_script(scene: Mapping[str, Any] | Scene) -> str:
    """A standalone script (jax + optax) reproducing every run of a scene."""
    return script_of(plan_of(scene_of(scene)))


def report(scene: Mapping[str, Any] | Scene, base_url: str) -> str:
    """The one-file HTML report of a scene (`app.contract.report`), its permalink at `base_url`/?s=TOKEN."""
    c = computed(scene)
    return report_html(*c, permalink=f"{base_url.rstrip('/')}/?s={encode(c.scene.model_dump())}")


def basin_map(scene: Mapping[str, Any] | Scene, run: int, n: int) -> dict:
    return answer_basins(BasinRequest.model_validate({"scene": scene, "run": run, "n": n}))


def sweep(scene: Mapping[str, Any] | Scene, run: int, axes: list[Mapping[str, Any]],
          sparse: Mapping[str, Any] | None = None) -> dict:
    """Run `run` over the grid of one or two `axes` ({param, values, from, to, n, scale}); on a steps axis each
    length fills the defaults of `sparse` (the scene as written), when given, at that length."""
    names = ("x", "y")[:len(axes)]
    data = {"scene": sparse if sparse is not None else scene, "run": run, **dict(zip(names, axes))}
    return answer_sweep(SweepRequest.model_validate(data))


def tune(scene: Mapping[str, Any] | Scene, run: int, metric: str = "final_loss", start: float | None = None,
         stop: float | None = None, n: int | None = None) -> dict:
    """Run `run`'s base rate tuned over a log sweep (`app.features.tune`); None takes the default."""
    given = {"from": start, "to": stop, "n": n}
    return answer_tune(TuneRequest.model_validate({"scene": scene, "run": run, "metric": metric,
                                                   **{k: v for k, v in given.items() if v is not None}}))


def range_test(scene: Mapping[str, Any] | Scene, run: int, min_lr: float, max_lr: float, steps: int,
               mode: str) -> dict:
    return answer_range_test(RangeTestRequest.model_validate({"scene": scene, "run": run, "min_lr": min_lr,
                                                               "max_lr": max_lr, "steps": steps, "mode": mode}))


def seed_bands(scene: Mapping[str, Any] | Scene, run: int, seeds: int) -> dict:
    return answer_seeds(SeedsRequest.model_validate({"scene": scene, "run": run, "seeds": seeds}))
