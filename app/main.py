"""The app factory: API routes, the frontend, plotly.min.js from the installed plotly package, the API docs
(/docs) with Swagger UI from the installed fastapi-offline package, JIT warm-up.

`create_app()` turns on JAX's persistent compilation cache (OPTISCAPE_JAX_CACHE, default
~/.cache/optiscape/jax; "off" disables it), then starts answering at once while a background thread compiles
the common kernels (`warm_up`). Malformed JSON is a 400, a body over MAX_BODY_BYTES a 413, a bad field a 422.
"""
from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
import jax
import plotly
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from . import __version__
from .answers import HealthAnswer
from .api import router
from .catalog import MAX_BODY_BYTES
from . import long_lived
from .loop_lag import LoopLag

FRONTEND = Path(os.environ.get("OPTISCAPE_FRONTEND", Path(__file__).resolve().parents[1] / "frontend"))
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Swagger UI, served, never from a CDN. No ReDoc: its footer loads a logo from its CDN and its search needs a
# blob: worker, both outside the Content-Security-Policy.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
log = logging.getLogger("optiscape")
WARM_UP = {"done": False, "seconds": None}


def compilation_cache_dir() -> str | None:
    setting = os.environ.get("OPTISCAPE_JAX_CACHE")
    if setting == "off":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return setting or os.path.join(base, "optiscape", "jax")


def enable_compilation_cache() -> str | None:
    path = compilation_cache_dir()
    if path:
        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def limit_malloc_arenas() -> bool:
    """Two glibc malloc arenas and a fixed 1 MB mmap threshold (as MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576).

    glibc gives each busy thread its own arena (up to 8 per core) and, after a large block is freed, raises its
    mmap threshold, so the next 18 MB answer is carved from an arena that keeps the pages. Measured under the
    load test (benchmarks/load.py, 8 clients): RSS grew from 1027 to 1230 MB in 150 s; with this setting it
    stays between 800 and 860 MB. False where the C library is not glibc (nothing to tune there)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
    return bool(libc.mallopt(M_ARENA_MAX, 2)) and bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 20))


def warm_up() -> None:
    """Compile the kernels a first visitor is likely to need: the default scene's bucket, a few run buckets, then
    the default scene's other step buckets (its steps slider crosses them)."""
    from landscapes import LANDSCAPES, mesh

    from .catalog import DEFAULT_SCENE, PAGE_MESH_N
    from .engine import run_scene
    from .scene import normalise

    started = time.perf_counter()
    run_scene(normalise(DEFAULT_SCENE))  # what the page shows first
    mesh(LANDSCAPES[DEFAULT_SCENE["landscape"]["id"]], {}, PAGE_MESH_N)
    noisy = {"noise": {"std": 0.1, "seed": 0}}
    for runs in ([noisy], [{}] * 3, [{"optimizer": {"id": "adam"}}] * 2, [{"optimizer": {"id": "momentum"}}] * 5):
        for steps in (500, 1000):
            run_scene(normalise({"landscape": {"id": "rosenbrock"}, "steps": steps, "runs": runs}))
    warm_step_buckets(DEFAULT_SCENE)
    long_lived.freeze()  # JAX's caches and kernels live as long as the server: out of the collector's sight
    WARM_UP.update(done=True, seconds=time.perf_counter() - started)
    log.info("warm-up compiled in %.2f s", WARM_UP["seconds"])


def warm_step_buckets(scene: dict, up_to: int | None = None) -> None:
    """Compile `scene`'s kernels for every step bucket of a single answer (up to the stream's chunk length): the
    page's steps slider crosses them while it moves, and a compile there (0.1 to 2.5 s each) would hold the
    picture still. The persistent compilation cache makes later starts cheap."""
    from .engine import CHUNK_STEPS, run_scene
    from .scene import normalise
    from .schedules.table import bucket

    started = time.perf_counter()
    size = bucket(1)
    while size <= (up_to or CHUNK_STEPS):
        run_scene(normalise({**scene, "steps": size - 1}))  # size iterates: the largest count of that bucket
        size = bucket(size + 1)
    log.info("step buckets compiled in %.2f s", time.perf_counter() - started)


class BodyLimit:
    """413 for a request body over the limit, whether or not it announces its length."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or {}).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send):
        response = JSONResponse({"detail": f"request body over {self.limit} bytes"}, status_code=413)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


# The page runs only its own scripts; Plotly sets inline styles and renders images to data: and blob: URLs.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"), (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]


class SecurityHeaders:
    """nosniff, no referrer, no framing and the Content-Security-Policy on every answer, the API docs included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(warm: bool = True) -> FastAPI:
    enable_compilation_cache()
    limit_malloc_arenas()
    long_lived.watch_traces()

    loop_lag = LoopLag()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:
            threading.Thread(target=warm_up, name="jit-warm-up", daemon=True).start()
        watcher = asyncio.create_task(loop_lag.watch())
        yield
        watcher.cancel()

    app = FastAPI(title="Optiscape", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Optimizers and learning-rate schedules on 2D surfaces, computed with JAX/optax in "
                  "float64. The scene format, the permalink token and every limit are in the catalog and README.")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        errors = error.errors()
        status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
        return JSONResponse({"detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                                        for e in errors]}, status_code=status)

    app.include_router(router)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        return FileResponse(PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get("/api/health", response_model=HealthAnswer, summary="Liveness, whether the JIT warm-up has finished, and the event loop's lag")
    def health():
        return {"ok": True, "warm": WARM_UP["done"], "warm_up_seconds": WARM_UP["seconds"],
                "loop_lag": loop_lag.report()}

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        return FileResponse(FRONTEND / "docs" / "swagger.html", headers={"Cache-Control": "no-cache"})

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(FRONTEND / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=FRONTEND), name="static")
    app.mount("/vendor/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=1)  # level 1: 8 ms, level 3: 24 ms on 900 kB of floats for 3% less
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders)
    return app
