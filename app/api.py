"""The HTTP API of ../shared/CONTRACT.md: thin routes (parse, call, convert, answer).

Compute runs in worker threads (never on the event loop), at most COMPUTE_SLOTS scenes at a time.
"""
from __future__ import annotations

from typing import Annotated, Any, AsyncIterator

import anyio
import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from landscapes import LANDSCAPES, mesh
from landscapes.params import ParamErrors, resolve_params

from .catalog import MAX_MESH, catalog
from .engine import run_scene, stream_scene
from .permalink import MAX_TOKEN_LENGTH, TokenError, decode, encode
from . import custom, explore
from .scene import BasinRequest, RangeTestRequest, Scene, SeedsRequest, SweepRequest, normalise

COMPUTE_SLOTS = anyio.CapacityLimiter(2)  # one scene per core


class ORJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


class ErrorDetail(BaseModel):
    detail: Any = Field(description="what is wrong: a message, or a list of {loc, msg, type} for 422")


ERRORS = {
    400: {"model": ErrorDetail, "description": "malformed JSON, or a token that is not a permalink"},
    404: {"model": ErrorDetail, "description": "unknown landscape"},
    413: {"model": ErrorDetail, "description": "body or token over the documented limit"},
    422: {"model": ErrorDetail, "description": "a field out of range or unknown: `loc` names it, `msg` the range"},
}


class RunsAnswer(BaseModel):
    scene: dict = Field(description="the normalised scene, every default filled")
    runs: list[dict] = Field(description="per run: x, y, loss (N+1), lr, grad_norm, step_norm (N), status, "
                             "stopped_at, summary; lookahead adds fast_x, fast_y")


class MeshAnswer(BaseModel):
    x: list[float]
    y: list[float]
    z: list[list[float | None]]


class PermalinkAnswer(BaseModel):
    token: str
    url: str


router = APIRouter(prefix="/api")


@router.get("/catalog", summary="Landscapes, optimizers, schedules, their parameters, limits and presets")
def get_catalog() -> ORJSONResponse:
    return ORJSONResponse(catalog())


@router.get("/landscapes/{landscape_id}/mesh", response_model=MeshAnswer, responses=ERRORS,
            summary="f on an n x n grid over the plot domain; other query parameters are landscape parameters")
async def get_mesh(request: Request, landscape_id: Annotated[str, Path()],
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
    xs, ys, zs = await anyio.to_thread.run_sync(mesh, landscape, values, n, limiter=COMPUTE_SLOTS)
    return ORJSONResponse({"x": xs, "y": ys, "z": zs})


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
    xs, ys, zs = await anyio.to_thread.run_sync(mesh, landscape, values, n, limiter=COMPUTE_SLOTS)
    return ORJSONResponse({"x": xs, "y": ys, "z": zs})


@router.post("/runs", response_model=RunsAnswer, responses=ERRORS, summary="Compute every run of a scene")
async def post_runs(scene: Scene) -> ORJSONResponse:
    normalised = scene.model_dump()
    results = await anyio.to_thread.run_sync(run_scene, normalised, limiter=COMPUTE_SLOTS)
    return ORJSONResponse({"scene": normalised, "runs": [r.as_dict() for r in results]})


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


@router.get("/runs/stream", responses={**ERRORS, 200: {"content": {"text/event-stream": {}}, "description":
            "`chunk` events (run, start_step, arrays of that slice), then one `done` (status, stopped_at, summary "
            "of every run) or one `error`; then the stream ends"}},
            summary="Stream the runs of a permalinked scene as Server-Sent Events")
async def stream_runs(s: Annotated[str, Query(description="permalink token", max_length=10 * MAX_TOKEN_LENGTH)]):
    scene = scene_of_token(s)

    async def events() -> AsyncIterator[bytes]:
        iterator = stream_scene(scene)
        done = object()
        try:
            while True:
                async with COMPUTE_SLOTS:
                    event = await anyio.to_thread.run_sync(next, iterator, done)
                if event is done:
                    return
                kind = event.pop("event")
                yield sse(kind, event)
        except Exception as e:  # an engine failure mid-stream: say so and end, never hang
            yield sse("error", {"detail": f"{type(e).__name__}: {e}"})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.post("/permalinks", response_model=PermalinkAnswer, responses=ERRORS, summary="A permalink for a scene")
def post_permalink(scene: Scene) -> ORJSONResponse:
    token = encode(scene.model_dump())
    return ORJSONResponse({"token": token, "url": f"/?s={token}"})


@router.get("/permalinks/{token}", responses=ERRORS, summary="The normalised scene a permalink holds")
def get_permalink(token: str) -> ORJSONResponse:
    return ORJSONResponse(scene_of_token(token))


async def _compute(function, *args) -> ORJSONResponse:
    return ORJSONResponse(await anyio.to_thread.run_sync(function, *args, limiter=COMPUTE_SLOTS))


@router.post("/basins", responses=ERRORS, summary="Basin map: where one run ends from every start of an n x n grid")
async def post_basins(request: BasinRequest) -> ORJSONResponse:
    return await _compute(explore.basin_map, request.scene.model_dump(), request.run, request.n)


@router.post("/sweeps", responses=ERRORS,
             summary="Sweep one or two numbers of a run (rate, schedule or optimizer parameter, start, clipping, noise)")
async def post_sweeps(request: SweepRequest) -> ORJSONResponse:
    axes = [request.x.spec()] + ([request.y.spec()] if request.y else [])
    return await _compute(explore.sweep, request.scene.model_dump(), request.run, axes, request._sparse)


@router.post("/range-test", responses=ERRORS, summary="Smith's LR range test with suggested cyclical bounds")
async def post_range_test(request: RangeTestRequest) -> ORJSONResponse:
    return await _compute(explore.range_test, request.scene.model_dump(), request.run, request.min_lr,
                          request.max_lr, request.steps, request.mode)


@router.post("/seeds", responses=ERRORS, summary="One noisy run over several seeds: mean and spread, every path")
async def post_seeds(request: SeedsRequest) -> ORJSONResponse:
    return await _compute(explore.seed_bands, request.scene.model_dump(), request.run, request.seeds)


@router.post("/export", responses={**ERRORS, 200: {"content": {"text/x-python": {}},
             "description": "a standalone Python script (jax + optax) that reproduces every run"}},
             summary="Export a scene as a standalone optax script")
def post_export(scene: Scene) -> Response:
    from .export import export_script

    return Response(export_script(scene.model_dump()), media_type="text/x-python",
                    headers={"Content-Disposition": 'attachment; filename="optiscape_scene.py"'})
