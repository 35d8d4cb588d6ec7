"""The frontend's pure modules under `node --test` (tests/js), fed the catalog the running code builds; the
page's module preloads."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.contract.catalog import catalog
from app.server.factory import create_app
from optimizers_and_schedules import ALL_OPTIMIZERS

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")  # the machine image ships it
def test_node_unit_tests(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog()))
    inside = tmp_path / "internals.json"
    inside.write_text(json.dumps(internals_of_every_optimizer()))
    done = subprocess.run([NODE, "--test", *sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))],
                          cwd=ROOT, env={"OPTISCAPE_CATALOG": str(path), "OPTISCAPE_INTERNALS": str(inside),
                                         "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    print(done.stdout[-3000:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout


def test_the_page_preloads_exactly_the_modules_main_js_imports():
    """index.html names every module main.js needs (a modulepreload each), so that the browser fetches them at
    once instead of one level of imports after the other; a module added or dropped must be named there too."""
    js = ROOT / "frontend" / "js"
    needed, todo = set(), ["main.js"]
    while todo:
        for name in re.findall(r'^import .* from "\./([\w.]+)";$', (js / todo.pop()).read_text(), re.M):
            if name not in needed:
                needed.add(name)
                todo.append(name)
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/js/([\w.]+)">', (ROOT / "frontend" / "index.html").read_text())
    assert sorted(preloaded) == sorted(needed) and len(preloaded) == len(set(preloaded))


def internals_of_every_optimizer() -> dict:
    """The engine's answer (normalised scene and runs with internals) for every optimizer, lookahead over two inner
    ones, and clipping and noise on two runs: what tests/js/update-rule.test.mjs rewrites step by step."""
    runs = [{"optimizer": {"id": o}, "schedule": {"id": "cosine", "params": {"lr": 0.002}}} for o in sorted(ALL_OPTIMIZERS)
            if o != "lookahead"]
    runs += [{"optimizer": {"id": "lookahead", "params": {"inner": {"id": inner}, "sync_period": 4}},
              "schedule": {"id": "constant", "params": {"lr": 0.002}}} for inner in ("adam", "nesterov")]
    runs += [{"optimizer": {"id": "adamw", "params": {"weight_decay": 0.5}}, "schedule": {"id": "constant", "params": {"lr": 0.01}}},
             {"optimizer": {"id": "adam"}, "clip_norm": 1.0, "noise": {"std": 0.5, "seed": 3}},
             {"optimizer": {"id": "sgd"}, "clip_norm": 1.0, "schedule": {"id": "constant", "params": {"lr": 1e-4}}}]
    scene = {"landscape": {"id": "rosenbrock"}, "steps": 60, "internals": True,
             "runs": [{**run, "start": [-1.5, 2.0]} for run in runs]}
    with TestClient(create_app(warm_up_scope="off")) as client:
        answer = client.post("/api/runs", json=scene)
    assert answer.status_code == 200, answer.text
    return answer.json()
