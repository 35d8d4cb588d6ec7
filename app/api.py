"""The HTTP API of ../shared/CONTRACT.md: thin routes (parse, call, convert, answer).

Compute, JSON encoding and gzip of every computed answer run in worker threads (never on the event loop), at
most COMPUTE_SLOTS at a time (`answer_off_loop`).
"""
from __future__ import annotations

import gzip
import time
from typing import Annotated, Any, AsyncIterator, Literal

import anyio
import orjson
from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import core_schema

from landscapes import LANDSCAPES, mesh
from landscapes.params import ParamErrors, resolve_params

from .catalog import MAX_MESH, catalog
from .engine import run_scene, stream_scene
from .permalink import MAX_TOKEN_LENGTH, TokenError, decode, encode
from . import custom, explore, long_lived
from .typed_arrays import with_typed_arrays
from .answers import (STREAM_EVENT_SCHEMA, BasinAnswer, CatalogAnswer, MeshAnswer, PermalinkAnswer, RangeTestAnswer,
                      RunsAnswer, SeedsAnswer, StreamEvent, SweepAnswer)
from .scene import EXAMPLE_SCENE, BasinRequest, RangeTestRequest, Scene, SeedsRequest, SweepRequest, normalise

COMPUTE_SLOTS = anyio.CapacityLimiter(2)  # one scene per core


class ORJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


class OffLoop:
    """A body annotation: documented in OpenAPI as `model`, validated by `validated` in a worker thread.

    FastAPI validates a declared body model on the event loop; a 64-run scene of sequences and expressions
    takes 26 ms, time every other request would wait. Only the JSON parse stays on the loop (bounded by the
    1 MB body limit)."""

    def __init__(self, model: type[BaseModel]):
        self.model = model

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.any_schema()

    def __get_pydantic_json_schema__(self, schema, handler):
        return handler(self.model.__pydantic_core_schema__)


def body_of(model: type[BaseModel]):
    """The type of a body parameter validated off the loop: `scene: body_of(Scene)`, then `await validated`."""
    return Annotated[Any, Body(), OffLoop(model)]


async def validated(model: type[BaseModel], data: Any):
    """`model.model_validate(data)` in a worker thread; a 422 with loc ["body", ...] as FastAPI would give."""

    def validate():
        try:
            return model.model_validate(data)
        except ValidationError as e:
            raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in e.errors()])

    return await anyio.to_thread.run_sync(validate)


GZIP_MIN_BYTES = 2048


async def answer_off_loop(request: Request, compute, *args, compress: bool = True) -> Response:
    """compute(*args), its JSON encoding and its gzip, all in a worker thread (at most COMPUTE_SLOTS at once).

    A large answer (up to 56 MB of JSON for 400,000 run-steps) takes longer to encode and compress than to
    compute; done on the event loop, that would stall every other request. `Server-Timing` reports the parts
    in ms: compute, encode (JSON), gzip. `compress=False` sends it as it is (Content-Encoding: identity, which
    the gzip middleware leaves alone)."""
    accepts_gzip = compress and "gzip" in request.headers.get("accept-encoding", "")

    def work() -> tuple[bytes, dict]:
        started = time.perf_counter()
        content = compute(*args)
        computed = time.perf_counter()
        body = orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
        encoded = time.perf_counter()
        headers = {"Vary": "Accept-Encoding"} if compress else {"Content-Encoding": "identity"}
        if accepts_gzip and len(body) >= GZIP_MIN_BYTES:
            body = gzip.compress(body, compresslevel=1, mtime=0)  # level 1: 8 ms for 900 kB; level 3 saves 3% more in 24 ms
            headers["Content-Encoding"] = "gzip"
        zipped = time.perf_counter()
        headers["Server-Timing"] = (f"compute;dur={(computed - started) * 1e3:.2f}, "
                                    f"encode;dur={(encoded - computed) * 1e3:.2f}, gzip;dur={(zipped - encoded) * 1e3:.2f}")
        long_lived.after_request()
        return body, headers

    body, headers = await anyio.to_thread.run_sync(work, limiter=COMPUTE_SLOTS)
    return Response(body, media_type="application/json", headers=headers)


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
    422: "a field out of range or unknown: `loc` names it, `msg` the range",
}
ERRORS = {status: {"model": ErrorDetail, "description": text} for status, text in ERROR_CASES.items()}



router = APIRouter(prefix="/api")
EXAMPLE_TOKEN = encode(EXAMPLE_SCENE)


@router.get("/catalog", response_model=CatalogAnswer,
            summary="Landscapes, optimizers, schedules, their parameters, limits and presets")
def get_catalog() -> ORJSONResponse:
    return ORJSONResponse(catalog())


@router.get("/landscapes/{landscape_id}/mesh", response_model=MeshAnswer, responses=ERRORS,
            summary="f on an n x n grid over the plot domain; other query parameters are landscape parameters")
async def get_mesh(request: Request,
                   landscape_id: Annotated[str, Path(json_schema_extra={"enum": [*LANDSCAPES, "expression"]})],
                   n: Annotated[int, Query(ge=2, le=MAX_MESH, description="grid size")] = 80) -> ORJSONResponse:
    if landscape_id == "expression":
        return await _expression_mesh(request, n)
    landscape = LANDSCAPES.get(landscape_id)
    if landscape is None:
        raise HTTPException(404, f"unknown landscape {landscape_id!r}; one of: {', '.join(LANDSCAPES)}, expression")
    given = {}
    for name, text in request.query_params.items():
        if name == "n":
            continue
        try:
            given[name] = float(text)
        except ValueError:
            raise HTTPException(422, [{"loc": ["query", name], "msg": f"must be a number, got {text!r}",
                                       "type": "invalid"}])
    try:
        values = resolve_params(landscape.params, given, steps=None)
    except ParamErrors as e:
        raise HTTPException(422, [{"loc": ["query", name], "msg": msg, "type": "invalid"} for name, msg in e.errors])
    return await answer_off_loop(request, _mesh_answer, landscape, values, n)


def _mesh_answer(landscape, values, n: int) -> dict:
    xs, ys, zs = mesh(landscape, values, n)
    return {"x": xs, "y": ys, "z": zs}


async def _expression_mesh(request: Request, n: int) -> ORJSONResponse:
    """The mesh of a typed landscape: query f=EXPRESSION and domain=x_min,x_max,y_min,y_max."""
    query = request.query_params
    data = {"f": query.get("f", custom.LANDSCAPE_PARAMS[0].default)}
    if "domain" in query:
        try:
            x0, x1, y0, y1 = (float(v) for v in query["domain"].split(","))
        except ValueError:
            raise HTTPException(422, [{"loc": ["query", "domain"], "msg": "must be x_min,x_max,y_min,y_max",
                                       "type": "invalid"}])
        data["domain"] = [[x0, x1], [y0, y1]]
    constants = {}
    for name in set(query) - {"n", "f", "domain"}:  # every other query parameter is a named parameter of f
        try:
            constants[name] = float(query[name])
        except ValueError:
            raise HTTPException(422, [{"loc": ["query", name], "msg": f"must be a number, got {query[name]!r}",
                                       "type": "invalid"}])
    data["constants"] = constants
    try:
        scene = normalise({"landscape": {"id": "expression", "params": data}, "runs": [{"start": [0, 0]}]})
    except ValidationError as e:
        raise HTTPException(422, [{"loc": ["query", err["loc"][-1]], "msg": err["msg"], "type": err["type"]}
                                  for err in e.errors() if err["loc"][0] == "landscape"])
    landscape = custom.landscape_of(scene["landscape"])
    values = scene["landscape"]["params"]["constants"]
    return await answer_off_loop(request, _mesh_answer, landscape, values, n)


ArraysQuery = Annotated[Literal["json", "bdata"], Query(
    description="how the arrays of each run (or chunk) are written: `json` lists of numbers (null where not "
                "finite), or `bdata` {dtype: \"f8\", bdata: base64 of little-endian float64}, Plotly's typed-array "
                "form: the same bits, in about 57% of the bytes, sent without gzip")]


@router.post("/runs", response_model=RunsAnswer, responses=ERRORS, summary="Compute every run of a scene")
async def post_runs(body: body_of(Scene), request: Request, arrays: ArraysQuery = "json") -> Response:
    scene = await validated(Scene, body)
    # typed arrays go as they are: base64 of float64 shrinks by a third under gzip, at 5 to 15 ms a page scene
    return await answer_off_loop(request, _runs_answer, scene.model_dump(), arrays == "bdata",
                                 compress=arrays != "bdata")


def _runs_answer(normalised: dict, typed: bool = False) -> dict:
    runs = [r.as_dict() for r in run_scene(normalised)]
    return {"scene": normalised, "runs": [with_typed_arrays(r) for r in runs] if typed else runs}


def scene_of_token(token: str) -> dict:
    """The normalised scene a token holds; 413 / 400 / 422 otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise HTTPException(413, f"token is {len(token)} characters; the limit is {MAX_TOKEN_LENGTH}")
    try:
        data = decode(token)
    except TokenError as e:
        raise HTTPException(400, str(e))
    try:
        return normalise(data)
    except ValidationError as e:
        raise HTTPException(422, [{"loc": ["token", *e_["loc"]], "msg": e_["msg"], "type": e_["type"]}
                                  for e_ in e.errors()])


def sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n\n"


class NotJSON(Response):
    """The response class of a route whose answer is not JSON (the stream, the script).

    With no media type here, FastAPI documents the route's 200 from its `responses` alone, and its errors
    (`ERRORS`) as application/json, which they are; a media type here would document the errors in it. Each
    answer sets its own media type."""

    media_type = None


@router.get("/runs/stream", response_class=NotJSON, response_model=StreamEvent, responses={**ERRORS, 200: {
            "description": "`chunk` events (run, start_step, arrays of that slice), then one `done` (status, "
                           "stopped_at, summary of every run) or one `error`; then the stream ends. Each event's "
                           "data is JSON: StreamChunk, StreamDone or StreamError (in Schemas).",
            "content": {"text/event-stream": {"itemSchema": STREAM_EVENT_SCHEMA}}}},
            summary="Stream the runs of a permalinked scene as Server-Sent Events")
async def stream_runs(s: Annotated[str, Query(description="permalink token", max_length=10 * MAX_TOKEN_LENGTH,
                                              examples=[EXAMPLE_TOKEN])], arrays: ArraysQuery = "json"):
    scene = await anyio.to_thread.run_sync(scene_of_token, s)  # inflate and validate off the loop

    async def events() -> AsyncIterator[bytes]:
        iterator = stream_scene(scene)
        try:
            while True:
                encoded = await anyio.to_thread.run_sync(_next_event, iterator, arrays == "bdata",
                                                         limiter=COMPUTE_SLOTS)
                if encoded is None:
                    return
                yield encoded
        except Exception as e:  # an engine failure mid-stream: say so and end, never hang
            yield sse("error", {"detail": f"{type(e).__name__}: {e}"})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _next_event(iterator, typed: bool = False) -> bytes | None:
    """The next event of a stream, computed and encoded (in a worker thread); None at the end."""
    event = next(iterator, None)
    if event is None:
        long_lived.after_request()
        return None
    kind = event.pop("event")
    return sse(kind, with_typed_arrays(event) if typed and kind == "chunk" else event)


@router.post("/permalinks", response_model=PermalinkAnswer, responses=ERRORS, summary="A permalink for a scene")
async def post_permalink(body: body_of(Scene)) -> ORJSONResponse:
    scene = await validated(Scene, body)
    token = await anyio.to_thread.run_sync(encode, scene.model_dump())
    return ORJSONResponse({"token": token, "url": f"/?s={token}"})


@router.get("/permalinks/{token}", response_model=Scene, responses=ERRORS,
            summary="The normalised scene a permalink holds")
def get_permalink(token: Annotated[str, Path(examples=[EXAMPLE_TOKEN])]) -> ORJSONResponse:
    return ORJSONResponse(scene_of_token(token))


@router.post("/basins", response_model=BasinAnswer, responses=ERRORS,
             summary="Basin map: where one run ends from every start of an n x n grid")
async def post_basins(data: body_of(BasinRequest), request: Request) -> Response:
    body = await validated(BasinRequest, data)
    return await answer_off_loop(request, explore.basin_map, body.scene.model_dump(), body.run, body.n)


@router.post("/sweeps", response_model=SweepAnswer, responses=ERRORS,
             summary="Sweep one or two numbers of a run (rate, schedule or optimizer parameter, start, clipping, noise)")
async def post_sweeps(data: body_of(SweepRequest), request: Request) -> Response:
    body = await validated(SweepRequest, data)
    axes = [body.x.spec()] + ([body.y.spec()] if body.y else [])
    return await answer_off_loop(request, explore.sweep, body.scene.model_dump(), body.run, axes, body._sparse)


@router.post("/range-test", response_model=RangeTestAnswer, responses=ERRORS,
             summary="Smith's LR range test with suggested cyclical bounds")
async def post_range_test(data: body_of(RangeTestRequest), request: Request) -> Response:
    body = await validated(RangeTestRequest, data)
    return await answer_off_loop(request, explore.range_test, body.scene.model_dump(), body.run, body.min_lr,
                                 body.max_lr, body.steps, body.mode)


@router.post("/seeds", response_model=SeedsAnswer, responses=ERRORS,
             summary="One noisy run over several seeds: mean and spread, every path")
async def post_seeds(data: body_of(SeedsRequest), request: Request) -> Response:
    body = await validated(SeedsRequest, data)
    return await answer_off_loop(request, explore.seed_bands, body.scene.model_dump(), body.run, body.seeds)


@router.post("/export", response_class=NotJSON, responses={**ERRORS, 200: {
             "description": "a standalone Python script (jax + optax) that reproduces every run",
             "content": {"text/x-python": {"schema": {"type": "string"}}}}},
             summary="Export a scene as a standalone optax script")
async def post_export(body: body_of(Scene)) -> Response:
    from .export import export_script

    scene = await validated(Scene, body)
    script = await anyio.to_thread.run_sync(export_script, scene.model_dump(), limiter=COMPUTE_SLOTS)
    return Response(script, media_type="text/x-python", headers={"Content-Disposition": 'attachment; filename="optiscape_scene.py"'})
