"""The answers of the HTTP API as pydantic models: the response schemas of /openapi.json.

They document; they do not build. Each computed answer is a dict of numpy arrays encoded by orjson in a worker
thread (`app.server.off_loop.answer_off_loop`), so FastAPI never re-validates it; `tests/test_schema_fuzz.py`
checks every answer against these schemas instead. JSON has no NaN: a non-finite number is written as null, so
every float array that can hold one is `float | None`; "never" and "not stopped" are null too.

Example:
    >>> RunResult.model_json_schema()["properties"]["status"]["enum"]
    ['ok', 'diverged', 'escaped']
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..features.tune import METRICS
from ..vocabulary.params import KINDS

from .scene import Scene

Status = Literal["ok", "diverged", "escaped"]
Numbers = list[float | None]
Grid = list[list[float | None]]
Steps = Annotated[int, Field(ge=0)] | None  # a step number k; null: never, or not stopped


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='where: e.g. ["body", "runs", 0, "schedule", "params", "lr"]')
    msg: str = Field(description="what is wrong, with the allowed range")
    type: str


class ErrorDetail(BaseModel):
    detail: str | list[FieldError] = Field(description="a message, or one entry per wrong field (422, and 400 for "
                                           "malformed JSON)")


ERROR_CASES = {
    400: "malformed JSON, or a token that is not a permalink",
    404: "unknown landscape",
    413: "body or token over the documented limit",
    414: "URL over max_url_bytes (the HTTP layer's refusal, in this shape)",
    431: "request line and headers over max_head_bytes",
    422: "a field out of range or unknown: `loc` names it, `msg` the range",
}
ERRORS = {status: {"model": ErrorDetail, "description": text} for status, text in ERROR_CASES.items()}


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TypedArray(Answer):
    """An array as Plotly's typed-array spec writes it (`?arrays=bdata`): the same float64 bits as the JSON list,
    a number that is not finite kept as it is (NaN, ±Infinity) where the list has null."""

    dtype: Literal["f8"] = Field(description="little-endian float64")
    bdata: str = Field(pattern="^[A-Za-z0-9+/]*={0,2}$", description="base64 of the bytes")


Arrays = Numbers | TypedArray  # a list of numbers, or with ?arrays=bdata a TypedArray


class TypedPairs(TypedArray):
    """[x, y] pairs as one typed array (`?arrays=bdata`): row-major x0, y0, x1, y1, ..., shape "n,2"."""

    shape: str = Field(pattern="^[0-9]+,2$", description='"n,2": n pairs')


Pairs = list[tuple[float | None, float | None]] | TypedPairs  # [[x, y], ...], or with ?arrays=bdata TypedPairs
# The optimizer's state fields, as optax names them (app.engine.step.state_fields); "slow": lookahead's slow weights
StateField = Literal["trace", "sum_of_squares", "mu", "nu", "nu_max", "slow"]


class CriticalPoint(Answer):
    kind: Literal["minimum", "maximum", "saddle"]
    x: float
    y: float
    value: float = Field(description="f at the point")
    name: str = Field(description='e.g. "G" (global), "L" (local), "S" (shallow) on peaks')
    is_global: bool = Field(alias="global")


class Summary(Answer):
    final_loss: float | None = Field(description="f at the last iterate (null when it is not finite)")
    best_loss: float | None = Field(description="the lowest f along the path")
    distance_to_nearest_minimum: float | None = Field(description="null on a landscape without a minimum")
    nearest_minimum: CriticalPoint | None
    steps_to_tolerance: Steps = Field(description="first k with f(θ_k) − f* ≤ tolerance; null: never")
    tolerance: float


class Internals(Answer):
    """Inside every update k of a run (N rows, like `lr`; they end where the run stopped)."""

    gradient: Pairs = Field(description="∇f where the gradient is taken (θ_k; lookahead: the fast weights), before "
                            "noise and clipping")
    update: Pairs = Field(description="the applied step θ_{k+1} − θ_k of the weights the optimizer moves (lookahead: "
                          "the fast weights)")
    state: dict[StateField, Pairs] = Field(description="the optimizer's state after update k, by optax's field "
                                           "names: trace (momentum, Nesterov); mu, nu (Adam family), nu_max "
                                           "(AMSGrad); nu (RMSprop); sum_of_squares (Adagrad); none for SGD; "
                                           "lookahead: its inner optimizer's fields and slow (the slow weights)")


class RunResult(Answer):
    """One run, arrays indexed by step k; they end at `stopped_at` when the run stopped."""

    x: Arrays = Field(description="θ_k, first coordinate (N+1)")
    y: Arrays = Field(description="θ_k, second coordinate (N+1)")
    loss: Arrays = Field(description="f(θ_k) (N+1)")
    lr: Arrays = Field(description="the rate used by update k, after plateau scaling (N)")
    grad_norm: Arrays = Field(description="‖∇f(θ_k)‖ before clipping and noise (N)")
    step_norm: Arrays = Field(description="‖θ_{k+1} − θ_k‖ (N)")
    fast_x: Arrays | None = Field(None, description="Lookahead only: the fast weights")
    fast_y: Arrays | None = Field(None, description="Lookahead only: the fast weights")
    internals: Internals | None = Field(None, description="only when the scene asks (`internals: true`)")
    status: Status = Field(description="diverged: a value became non-finite; escaped: left twice the plot domain "
                           "or fell below the landscape's floor")
    stopped_at: Steps = Field(description="the step where the run stopped; null: it ran to the end")
    summary: Summary


class RunsAnswer(Answer):
    scene: Scene = Field(description="the normalised scene, every default filled")
    runs: list[RunResult]


class MeshAnswer(Answer):
    x: list[float]
    y: list[float]
    z: Grid = Field(description="z[i][j] = f(x[j], y[i]); null where f is not finite")


class PermalinkAnswer(Answer):
    token: str
    url: str = Field(description="the page URL that opens the scene: /?s=TOKEN")


class BasinCodes(Answer):
    diverged: Literal[-1]
    escaped: Literal[-2]
    unsettled: Literal[-3]


class BasinAnswer(Answer):
    """Where one run ends from every start of an n x n grid; cell [i][j] starts at (x[j], y[i])."""

    x: list[float]
    y: list[float]
    basin: list[list[int]] = Field(description="index into `minima` of where the run settled; −1 diverged, "
                                   "−2 escaped, −3 not settled near any minimum")
    final_loss: Grid = Field(description="null where the run did not end normally")
    steps_to_tolerance: list[list[Steps]] = Field(description="null: never within tolerance")
    minima: list[CriticalPoint]
    codes: BasinCodes
    counts: dict[str, int] = Field(description="cells per basin code")


class SweptAxis(Answer):
    param: str
    values: list[float]


class SweepAnswer(Answer):
    """Grids of shape (len(y values), len(x values)); a single axis gives one row."""

    axes: list[SweptAxis] = Field(min_length=1, max_length=2)
    final_loss: Grid = Field(description="null where the run did not end normally")
    steps_to_tolerance: list[list[Steps]] = Field(description="null: never within tolerance")
    status: list[list[Status]]
    stopped_at: list[list[Steps]] = Field(description="null: ran to the end")


class TuneAnswer(Answer):
    """One run at every rate of a log sweep of its base rate, scored; lists indexed like `values`."""

    param: Literal["schedule.params.lr", "schedule.params.max_lr"] = Field(description="the rate tuned: the "
                                                                         "schedule's lr, or max_lr where it has none")
    metric: Literal[METRICS]
    values: list[float] = Field(description="the rates tried, log-spaced from `from` to `to`")
    scores: list[float | None] = Field(description="the metric at each rate (lower is better); null where the run "
                                       "stopped (diverged, escaped) or never came within tolerance")
    best: float | None = Field(description="the rate with the best score (one of values; ties: the lower final "
                               "loss, then the lower rate); null when no rate scores")
    status: list[Status]


class RangeTestSuggestion(Answer):
    max_lr: float = Field(description="half the rate at the smoothed log-loss minimum")
    base_lr: float = Field(description="max_lr / 4 (Smith's 1/3 to 1/4)")
    one_cycle_max_lr: float
    lowest_loss_lr: float = Field(description="the rate at the smoothed log-loss minimum")
    at_step: int = Field(ge=0)


class RangeTestAnswer(Answer):
    lr: Numbers
    loss: Numbers
    status: Status
    stopped_at: Steps
    suggestion: RangeTestSuggestion


class SeedPath(Answer):
    seed: int = Field(ge=0)
    x: Numbers
    y: Numbers
    status: Status
    final_loss: float | None


class SeedsAnswer(Answer):
    """Per step k over the seeds still running (null once every seed has stopped)."""

    mean_loss: Numbers
    std_loss: Numbers
    min_loss: Numbers
    max_loss: Numbers
    running: list[int] = Field(description="how many seeds are still running at step k")
    paths: list[SeedPath]


class Slider(Answer):
    """The span of a control's slider (the field beside it takes any valid value)."""

    min: float | Literal["T"]
    max: float | Literal["T"] = Field(description='a number, or "T" (the step count)')
    scale: Literal["linear", "log"]


class ParamEntry(Answer):
    """One parameter of a landscape, optimizer, schedule or run option: what validates it and what a control
    needs (app.vocabulary.params.Param.describe)."""

    name: str
    kind: Literal[KINDS]
    doc: str
    unit: str = Field(description='"" or e.g. "steps"')
    scale: Literal["linear", "log"] = Field(description="a hint for controls")
    nullable: bool
    default: Any = Field(description="at the catalog's default step count")
    default_expr: str | None = Field(None, description='the default as a formula, e.g. "T/5"')
    min: float | Literal["T"] | None = Field(description='a number, "T" (the step count) or null (unbounded)')
    max: float | Literal["T"] | None
    min_exclusive: bool
    max_exclusive: bool
    range: str = Field(description='the allowed range as the 422s write it, e.g. "(0, 10]"')
    choices: list[str] | None = Field(None, description="the allowed values of a choice")
    max_length: int | None = Field(None, description="the longest allowed list")
    slider: Slider | None = Field(description="a number's slider span; null for other kinds")


class Start(Answer):
    x: float
    y: float
    note: str


class LandscapeEntry(Answer):
    id: str
    title: str
    formula: str
    description: str
    notes: str
    domain: list[list[float]] = Field(description="[[x_min, x_max], [y_min, y_max]], the plot domain")
    escape_box: list[list[float]] = Field(description="a run that leaves it has escaped")
    floor: float | None = Field(description="a run whose loss falls below it has escaped; null: none")
    infimum: float | None = Field(description="the target f* where no minimum is attained")
    colour_scale: Literal["linear", "log", "sqrt", "diverging"]
    params: list[ParamEntry]
    critical_points: list[CriticalPoint] = Field(description="at the default parameters")
    minima_complete: bool = Field(description="every minimum in the domain is listed")
    starts: list[Start]


class OptimizerEntry(Answer):
    id: str
    title: str
    update: str = Field(description="the update rule")
    doc: str
    params: list[ParamEntry]


class ScheduleEntry(Answer):
    id: str
    title: str
    family: str
    formula: str
    doc: str
    stateful: bool = Field(description="depends on the loss (reduce-on-plateau), not only on k")
    params: list[ParamEntry]


class ClipNormOption(Answer):
    doc: str
    min: float
    min_exclusive: bool
    max: float
    default: None


class Bounds(Answer):
    min: float
    max: float
    default: float


class NoiseOption(Answer):
    doc: str
    std: Bounds
    seed: Bounds


class RunOptions(Answer):
    plateau: list[ParamEntry] = Field(description="reduce-on-plateau over any schedule")
    clip_norm: ClipNormOption
    noise: NoiseOption


class Preset(Answer):
    id: str
    title: str
    teaser: str
    explanation: list[str]
    claims: str = Field(description="the spec's claims it shows")
    scene: Scene


class Family(Answer):
    family: str
    title: str
    schedules: list[str]
    text: str


class Defaults(Answer):
    steps: int
    tolerance: float


class CatalogAnswer(Answer):
    version: int = Field(description="the scene format's current version")
    defaults: Defaults
    limits: dict[str, int] = Field(description="every documented limit, e.g. max_steps, max_runs, max_body_bytes")
    landscapes: dict[str, LandscapeEntry] = Field(description="by id, plus `expression` (your own f)")
    optimizers: dict[str, OptimizerEntry]
    schedules: dict[str, ScheduleEntry]
    run_options: RunOptions
    default_scene: Scene = Field(description="what the page shows when opened without a link")
    page_mesh_n: int
    palette: list[Annotated[str, Field(pattern="^#[0-9a-f]{6}$")]] = Field(
        description="the default colours of runs 1, 2, ... (cycled)")
    sliders: dict[str, Slider] = Field(description="slider spans of steps, clip_norm, noise.std and noise.seed; a "
                                       "run's start spans the landscape's domain")
    sweep_params: list[str] = Field(description="what a sweep may vary; <name> stands for any number of that "
                                    "component")
    stream_chunk_steps: int = Field(description="steps per chunk of /api/runs/stream")
    presets: list[Preset]
    families: list[Family]


class LoopLagAnswer(Answer):
    max_ms: float = Field(description="the longest the event loop was held since start, in ms")
    per_second: list[tuple[int, float]] = Field(description="[unix second, longest hold in ms] for the last 120 s")


class RunCacheAnswer(Answer):
    bytes: int = Field(description="bytes of run answers the process keeps for the next scene")
    max_bytes: int = Field(description="its bound (`run_cache_bytes` in the catalog's limits); the oldest go first")


class HealthAnswer(Answer):
    ok: Literal[True]
    warm: bool = Field(description="the JIT warm-up has finished (the first page scene is fast)")
    warm_up_seconds: float | None = Field(description="how long the warm-up took; null until done")
    pid: int = Field(description="the process that answered: one of the server's workers (`serve --workers`)")
    programs: int = Field(description="XLA programs this process has compiled or loaded from the compilation cache")
    run_cache: RunCacheAnswer
    heap_bytes: int | None = Field(description="bytes in use on the process's C heap, every malloc arena (what a leak "
                                   "grows; RSS also counts freed pages glibc keeps); null where the C library is not "
                                   "glibc")
    loop_lag: LoopLagAnswer


class StreamChunk(Answer):
    """A slice of one run: iterates start_step.. (x, y, loss) and the updates that start at them."""

    run: int = Field(ge=0)
    start_step: int = Field(ge=0)
    x: Arrays
    y: Arrays
    loss: Arrays
    lr: Arrays
    grad_norm: Arrays
    step_norm: Arrays
    fast_x: Arrays | None = Field(None, description="Lookahead only")
    fast_y: Arrays | None = Field(None, description="Lookahead only")
    internals: Internals | None = Field(None, description="only when the scene asks: the updates of this slice")


class RunEnd(Answer):
    status: Status
    stopped_at: Steps
    summary: Summary


class StreamDone(Answer):
    runs: list[RunEnd] = Field(description="every run of the scene, in order")


class StreamError(Answer):
    detail: str


StreamEvent = StreamChunk | StreamDone | StreamError  # a stream route's response_model: puts them in components


def _event(name: str, model: type[Answer]) -> dict:
    return {"type": "object", "required": ["event", "data"], "properties": {
        "event": {"const": name},
        "data": {"type": "string", "contentMediaType": "application/json",
                 "contentSchema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}


# One Server-Sent Event of GET /api/runs/stream (OpenAPI 3.2's itemSchema): its name and its JSON data.
STREAM_EVENT_SCHEMA = {"oneOf": [_event("chunk", StreamChunk), _event("done", StreamDone),
                                 _event("error", StreamError)]}
