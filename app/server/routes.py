"""The HTTP API (docs/api.md): thin routes that parse, call, convert and answer.

Bodies are validated off the event loop (`off_loop.validated`), and compute, JSON encoding and gzip of every
computed answer run in worker threads (`off_loop.answer_off_loop`); what a request means and how it is computed
is the contract's (`app.contract`).
"""
from __future__ import annotations

from typing import Annotated, Any, AsyncIterator, Literal

import anyio
import orjson
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import ValidationError

from landscapes import LANDSCAPES, mesh

from ..contract import compute
from ..contract.answers import (ERRORS, STREAM_EVENT_SCHEMA, BasinAnswer, CatalogAnswer, MeshAnswer, PermalinkAnswer,
                                RangeTestAnswer, RunsAnswer, SeedsAnswer, StreamEvent, SweepAnswer, TuneAnswer)
from ..contract.catalog import catalog
from ..contract.mesh import QueryError, UnknownLandscape, mesh_request
from ..contract.permalink import TokenError, decode, encode
from ..contract.report import FILENAME as REPORT_FILENAME
from ..contract.requests import BasinRequest, RangeTestRequest, SeedsRequest, SweepRequest, TuneRequest
from ..contract.scene import EXAMPLE_SCENE, Scene, scene_of
from ..contract.typed_arrays import with_typed_arrays
from ..vocabulary.limits import MAX_MESH_N, MAX_TOKEN_LENGTH, MIN_MESH_N
from . import long_lived
from .off_loop import COMPUTE_LIMITER, ORJSONResponse, answer_off_loop, body_of, off_loop, validated

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
                   n: Annotated[int, Query(ge=MIN_MESH_N, le=MAX_MESH_N, description="grid size")] = 80) -> Response:
    try:
        landscape, values = mesh_request(landscape_id, request.query_params)
    except UnknownLandscape as e:
        raise HTTPException(404, str(e))
    except QueryError as e:
        raise HTTPException(422, e.detail)
    return await answer_off_loop(request, _mesh_answer, landscape, values, n)


def _mesh_answer(landscape, values, n: int) -> dict:
    xs, ys, zs = mesh(landscape, values, n)
    return {"x": xs, "y": ys, "z": zs}


ArraysQuery = Annotated[Literal["json", "bdata"], Query(
    description="how the arrays of each run (or chunk) are written: `json` lists of numbers (null where not "
                "finite), or `bdata` {dtype: \"f8\", bdata: base64 of little-endian float64}, Plotly's typed-array "
                "form: the same bits, in about 57% of the bytes, sent without gzip")]


@router.post("/runs", response_model=RunsAnswer, responses=ERRORS, summary="Compute every run of a scene")
async def post_runs(body: body_of(Scene), request: Request, arrays: ArraysQuery = "json") -> Response:
    scene = await validated(Scene, body)
    # typed arrays go as they are: base64 of float64 shrinks by a third under gzip, at 5 to 15 ms a page scene
    return await answer_off_loop(request, compute.answer_runs, scene, arrays == "bdata", compress=arrays != "bdata")


def scene_of_token(token: str) -> Scene:
    """The validated scene a token holds; 413 / 400 / 422 otherwise."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise HTTPException(413, f"token is {len(token)} characters; the limit is {MAX_TOKEN_LENGTH}")
    try:
        data = decode(token)
    except TokenError as e:
        raise HTTPException(400, str(e))
    try:
        return scene_of(data)
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
        iterator = compute.stream_scene(scene)
        try:
            while True:
                encoded = await anyio.to_thread.run_sync(_next_event, iterator, arrays == "bdata",
                                                         limiter=COMPUTE_LIMITER)
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
    return ORJSONResponse(scene_of_token(token).model_dump())


# The explorations of one run: validated off the loop, answered by the contract (app.contract.compute).
EXPLORATIONS = [
    ("/basins", "post_basins", BasinRequest, BasinAnswer, compute.answer_basins,
     "Basin map: where one run ends from every start of an n x n grid"),
    ("/sweeps", "post_sweeps", SweepRequest, SweepAnswer, compute.answer_sweep,
     "Sweep one or two numbers of a run (rate, schedule or optimizer parameter, start, clipping, noise)"),
    ("/tune", "post_tune", TuneRequest, TuneAnswer, compute.answer_tune,
     "Tune one run's base rate: a log sweep in one grid call, each rate scored, the best one named"),
    ("/range-test", "post_range_test", RangeTestRequest, RangeTestAnswer, compute.answer_range_test,
     "Smith's LR range test with suggested cyclical bounds"),
    ("/seeds", "post_seeds", SeedsRequest, SeedsAnswer, compute.answer_seeds,
     "One noisy run over several seeds: mean and spread, every path"),
]


def _exploration_route(name: str, model: type, answer) -> Any:
    async def route(data, request: Request) -> Response:
        body = await validated(model, data)
        return await answer_off_loop(request, answer, body)

    route.__name__ = name  # FastAPI's operation id (post_basins_api_basins_post, ...)
    route.__annotations__ = {"data": body_of(model), "request": Request, "return": Response}
    return route


for path, name, model, answer_model, answer, summary in EXPLORATIONS:
    router.post(path, response_model=answer_model, responses=ERRORS, summary=summary)(
        _exploration_route(name, model, answer))


@router.post("/export", response_class=NotJSON, responses={**ERRORS, 200: {
             "description": "a standalone Python script (jax + optax) that reproduces every run",
             "content": {"text/x-python": {"schema": {"type": "string"}}}}},
             summary="Export a scene as a standalone optax script")
async def post_export(body: body_of(Scene)) -> Response:
    scene = await validated(Scene, body)
    script = await off_loop(compute.export_script, scene)
    return Response(script, media_type="text/x-python",
                    headers={"Content-Disposition": 'attachment; filename="optiscape_scene.py"'})


@router.post("/report", response_class=NotJSON, responses={**ERRORS, 200: {
             "description": "one self-contained HTML file (plotly.js inlined, no network): the three views, a step "
                            "slider, the summary table, the scene and its permalink on this server",
             "content": {"text/html": {"schema": {"type": "string"}}}}},
             summary="A scene as one HTML file that opens offline")
async def post_report(body: body_of(Scene), request: Request) -> Response:
    scene = await validated(Scene, body)
    page = await off_loop(compute.report, scene, str(request.base_url))
    # 5 MB, mostly plotly.js: sent as it is (the gzip middleware would compress it on the event loop)
    return Response(page, media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{REPORT_FILENAME}"',
                             "Content-Encoding": "identity"})
