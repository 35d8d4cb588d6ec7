"""JIT warm-up: the kernels a first visitor is likely to need, compiled in a background thread at start while the
server already answers (`/api/health` says when it is done).
"""
from __future__ import annotations

import logging
import time

from landscapes import LANDSCAPES, mesh

from ..contract.catalog import DEFAULT_SCENE, PAGE_MESH_N
from ..contract.compute import run_scene
from ..engine.trajectories import CHUNK_STEPS
from ..vocabulary.compile_once import bucket
from . import long_lived

log = logging.getLogger("optiscape")
WARM_UP = {"done": False, "seconds": None}


SCOPES = ("full", "page", "off")


def checked_scope(scope: str, name: str) -> str:
    """`scope` if it is one of SCOPES; otherwise a ValueError that names where it came from (`name`)."""
    if scope not in SCOPES:
        raise ValueError(f"{name} must be one of {', '.join(SCOPES)}, got {scope!r}")
    return scope


def warm_up(scope: str = "full") -> None:
    """Compile the kernels a first visitor is likely to need: the default scene's bucket, then (scope "full") a few
    run buckets and the default scene's other step buckets (its steps slider crosses them).

    What it costs a process (measured on this 2-core machine, `benchmarks/load.py`'s host, loaded by others):
    RSS 216 MB unwarmed, 268 MB after "page" (the first scene and its mesh), 400 MB after the run buckets and 650
    MB after the 11 step buckets; every later kernel compiles (or loads from the persistent cache) on first use.
    "page" suits many workers on little memory (docs/deploy.md)."""
    started = time.perf_counter()
    run_scene(DEFAULT_SCENE)  # what the page shows first
    mesh(LANDSCAPES[DEFAULT_SCENE["landscape"]["id"]], {}, PAGE_MESH_N)
    if scope == "full":
        noisy = {"noise": {"std": 0.1, "seed": 0}}
        for runs in ([noisy], [{}] * 3, [{"optimizer": {"id": "adam"}}] * 2, [{"optimizer": {"id": "momentum"}}] * 5):
            for steps in (500, 1000):
                run_scene({"landscape": {"id": "rosenbrock"}, "steps": steps, "runs": runs})
        warm_step_buckets(DEFAULT_SCENE)
    long_lived.freeze()  # JAX's caches and kernels live as long as the server: out of the collector's sight
    WARM_UP.update(done=True, seconds=time.perf_counter() - started)
    log.info("warm-up compiled in %.2f s", WARM_UP["seconds"])


def warm_step_buckets(scene: dict, up_to: int = CHUNK_STEPS) -> None:
    """Compile `scene`'s kernels for every step bucket of a single answer (up to the stream's chunk length): the
    page's steps slider crosses them while it moves, and a compile there (0.1 to 2.5 s each) would hold the
    picture still. The persistent compilation cache makes later starts cheap."""
    started = time.perf_counter()
    size = bucket(1)
    while size <= up_to:
        run_scene({**scene, "steps": size - 1})  # size iterates: the largest count of that bucket
        size = bucket(size + 1)
    log.info("step buckets compiled in %.2f s", time.perf_counter() - started)
