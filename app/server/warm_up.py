"""JIT warm-up: the kernels a first visitor is likely to need, compiled in a background thread at start while the
server already answers (`/api/health` says when it is done).
"""
from __future__ import annotations

import logging
import time

from landscapes import LANDSCAPES, mesh

from ..contract.catalog import DEFAULT_SCENE, PAGE_MESH_N
from ..contract.compute import run_scene
from . import long_lived

log = logging.getLogger("optiscape")
WARM_UP = {"done": False, "seconds": None}


def warm_up() -> None:
    """Compile the kernels a first visitor is likely to need: the default scene's bucket, a few run buckets."""
    started = time.perf_counter()
    run_scene(DEFAULT_SCENE)  # what the page shows first
    mesh(LANDSCAPES[DEFAULT_SCENE["landscape"]["id"]], {}, PAGE_MESH_N)
    noisy = {"noise": {"std": 0.1, "seed": 0}}
    for runs in ([noisy], [{}] * 3, [{"optimizer": {"id": "adam"}}] * 2, [{"optimizer": {"id": "momentum"}}] * 5):
        for steps in (500, 1000):
            run_scene({"landscape": {"id": "rosenbrock"}, "steps": steps, "runs": runs})
    long_lived.freeze()  # JAX's caches and kernels live as long as the server: out of the collector's sight
    WARM_UP.update(done=True, seconds=time.perf_counter() - started)
    log.info("warm-up compiled in %.2f s", WARM_UP["seconds"])
