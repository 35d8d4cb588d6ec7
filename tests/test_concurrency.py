"""Concurrent first requests compile each kernel once: the first visitors after a start do not pay twice.

Each check runs in a fresh Python process with the persistent compilation cache off, so every kernel is compiled
for real; XLA compiles are counted with jax.monitoring. The same work done by one thread and by 6 threads that
start together at a barrier must compile the same number of times."""
import json
import os
import subprocess
import sys

import pytest

from server import ROOT

WORK = {
    "scene": {"landscape": {"id": "peaks"}, "steps": 300,
              "runs": [{"optimizer": {"id": "adam"}, "schedule": {"id": "cosine", "params": {"alpha": 0.1}}},
                       {"optimizer": {"id": "momentum"}, "noise": {"std": 0.1, "seed": 3}}]},
    "expression": {"landscape": {"id": "expression", "params": {"f": "(x^2 + y - 3)^2 / 10 + a*y^2",
                                                                "constants": {"a": 0.5}}},
                   "steps": 200, "runs": [{"start": [2, 2]}]},
    "mesh": "saddle2",
    "basins": 24,
}

SCRIPT = """
import json, sys, threading
import app
from jax import monitoring
from app.contract.compute import run_scene
from app.contract.compute import basin_map
from app.contract.scene import normalise
from landscapes import LANDSCAPES, mesh

compiles = []
monitoring.register_event_duration_secs_listener(
    lambda name, seconds, **kw: compiles.append(name) if name == "/jax/core/compile/backend_compile_duration" else None)
work = json.loads(sys.argv[1])
threads = int(sys.argv[2])

def everything():
    scene = normalise(work["scene"])
    run_scene(scene)
    run_scene(normalise(work["expression"]))
    mesh(LANDSCAPES[work["mesh"]], {}, 40)
    basin_map(scene, 0, work["basins"])

barrier = threading.Barrier(threads)
errors = []
def worker():
    barrier.wait()
    try:
        everything()
    except Exception as e:
        errors.append(repr(e))

pool = [threading.Thread(target=worker) for _ in range(threads)]
for t in pool: t.start()
for t in pool: t.join()
first = len(compiles)
everything()  # once more: everything is compiled now
print(json.dumps({"compiles": first, "again": len(compiles) - first, "errors": errors}))
"""


def compiles_with(threads: int) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(WORK), str(threads)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OPTISCAPE_JAX_CACHE": "off", "XLA_FLAGS": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def alone():
    return compiles_with(1)


def test_one_thread_compiles_the_work_and_then_nothing(alone):
    assert alone["errors"] == []
    assert alone["compiles"] >= 6  # table, init, advance, noise, expression kernels, mesh, basin grid...
    assert alone["again"] == 0


def test_six_concurrent_first_requests_compile_each_kernel_once(alone):
    together = compiles_with(6)
    assert together["errors"] == []
    assert together["compiles"] == alone["compiles"]
    assert together["again"] == 0
