"""The app factory: API routes, the frontend, plotly.min.js from the installed plotly package, the API docs
(/docs) with Swagger UI from the installed fastapi-offline package, JIT warm-up.

`create_app()` gives JAX one CPU device per core, turns on JAX's persistent compilation cache and limits malloc's
arenas (`runtime`), then starts answering at once while a background thread compiles the common kernels
(`warm_up`). Malformed JSON is a 400, a body over MAX_BODY_BYTES a 413, a URL over MAX_URL_BYTES a 414, a head
over MAX_HEAD_BYTES a 431 (`middleware`, and `protocol` where the HTTP layer refuses it), a bad field a 422.
"""
from __future__ import annotations

import asyncio
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..contract.answers import HealthAnswer
from ..contract.run_cache import RUNS
from ..vocabulary.limits import MAX_BODY_BYTES
from . import long_lived
from .heap import heap_in_use_bytes
from .loop_lag import LoopLag
from .middleware import BodyLimit, HeadLimit, SecurityHeaders
from .off_loop import GZIP_LEVEL, GZIP_MIN_BYTES
from .pages import FRONTEND, pages
from .programs import count_programs, programs
from .routes import router
from .runtime import enable_compilation_cache, limit_malloc_arenas, use_every_core
from .vendor import PLOTLY_CACHE, plotly_gzipped, plotly_source
from .warm_up import WARM_UP, checked_scope, warm_up

# Swagger UI, served, never from a CDN. No ReDoc: its footer loads a logo from its CDN and its search needs a
# blob: worker, both outside the Content-Security-Policy.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


WARM_UP_SETTING = "OPTISCAPE_WARM_UP"  # full (default), page or off: `optiscape serve --warm-up` sets it


def served_app() -> FastAPI:
    """The app `optiscape serve` runs, built in each worker process, warmed up as OPTISCAPE_WARM_UP says."""
    return create_app(warm_up_scope=checked_scope(os.environ.get(WARM_UP_SETTING) or "full", WARM_UP_SETTING))


def create_app(warm_up_scope: str = "full") -> FastAPI:
    """The app; `warm_up_scope` (`SCOPES`: full, page or off) says which kernels compile in the background at start-up
    (off: none, and plotly.js is gzipped on its first request instead), as `warm_up` describes."""
    checked_scope(warm_up_scope, "warm_up_scope")
    use_every_core()
    enable_compilation_cache()
    limit_malloc_arenas()
    long_lived.watch_traces()
    count_programs()

    loop_lag = LoopLag()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm_up_scope != "off":
            threading.Thread(target=warm_up, args=(warm_up_scope,), name="jit-warm-up", daemon=True).start()
            threading.Thread(target=plotly_gzipped, name="plotly-gzip", daemon=True).start()
        watcher = asyncio.create_task(loop_lag.watch())
        yield
        watcher.cancel()

    app = FastAPI(title="Optiscape", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Optimizers and learning-rate schedules on 2D surfaces, computed with JAX/optax in "
                  "float64. The scene format, the permalink token and every limit are in the catalog and docs/api.md.")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        errors = error.errors()
        status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
        return JSONResponse({"detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                                        for e in errors]}, status_code=status)

    app.include_router(router)
    app.include_router(pages)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js(request: Request):
        if request.headers.get("if-none-match") == PLOTLY_CACHE["ETag"]:
            return Response(status_code=304, headers=PLOTLY_CACHE)
        if "gzip" not in request.headers.get("accept-encoding", ""):
            return Response(plotly_source(), media_type="text/javascript", headers=PLOTLY_CACHE)
        return Response(plotly_gzipped(), media_type="text/javascript", headers={**PLOTLY_CACHE, "Content-Encoding": "gzip"})

    @app.get("/api/health", response_model=HealthAnswer, summary="Liveness, the JIT warm-up, programs compiled, memory in use and the event loop's lag")
    async def health():  # on the event loop, which alone writes loop_lag: a worker thread reading it raced (a 500)
        return {"ok": True, "warm": WARM_UP["done"], "warm_up_seconds": WARM_UP["seconds"], "pid": os.getpid(),
                "programs": programs(), "run_cache": {"bytes": RUNS.bytes, "max_bytes": RUNS.max_bytes},
                "heap_bytes": heap_in_use_bytes(),
                "loop_lag": loop_lag.report()}

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        return FileResponse(FRONTEND / "docs" / "swagger.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=FRONTEND), name="static")
    app.mount("/vendor/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(HeadLimit)
    app.add_middleware(SecurityHeaders)
    return app
