"""Work off the event loop: body validation, compute, JSON encoding and gzip of every computed answer run in worker
threads, at most COMPUTE_SLOTS at a time, so one request never stalls the others.

Example:
    >>> ORJSONResponse({"x": 1.5}).body
    b'{"x":1.5}'
"""
from __future__ import annotations

import gzip
import time
from typing import Annotated, Any, Callable

import anyio
import orjson
from fastapi import Body, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from pydantic_core import core_schema

from ..vocabulary.limits import COMPUTE_SLOTS
from . import long_lived

COMPUTE_LIMITER = anyio.CapacityLimiter(COMPUTE_SLOTS)
# One gzip setting for the answers compressed here and everything else (the middleware, app.server.factory):
# level 1 takes 8 ms for 900 kB of floats; level 3 saves 3% more in 24 ms.
GZIP_MIN_BYTES = 2048
GZIP_LEVEL = 1


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


async def answer_off_loop(request: Request, compute: Callable, *args, compress: bool = True) -> Response:
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
            body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
            headers["Content-Encoding"] = "gzip"
        zipped = time.perf_counter()
        headers["Server-Timing"] = (f"compute;dur={(computed - started) * 1e3:.2f}, "
                                    f"encode;dur={(encoded - computed) * 1e3:.2f}, gzip;dur={(zipped - encoded) * 1e3:.2f}")
        long_lived.after_request()
        return body, headers

    body, headers = await anyio.to_thread.run_sync(work, limiter=COMPUTE_LIMITER)
    return Response(body, media_type="application/json", headers=headers)


async def off_loop(compute: Callable, *args):
    """compute(*args) in a worker thread, within the compute slots (work whose answer is not JSON)."""
    return await anyio.to_thread.run_sync(compute, *args, limiter=COMPUTE_LIMITER)
