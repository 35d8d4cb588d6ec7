"""The real server: uvicorn in a subprocess on a free loopback port, read with httpx (streaming included)."""
import json
import time

import httpx
import numpy as np
import pytest

from optimizers_and_schedules import ALL_SCHEDULES
from server import ROOT, serving

CANYON = json.loads((ROOT / "examples" / "canyon.json").read_text())


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    cache = tmp_path_factory.mktemp("jax-cache")
    with serving(env={"OPTISCAPE_JAX_CACHE": str(cache)}) as base:
        yield base


def events_of(response):
    """(event, data, arrival time) for each Server-Sent Event, read as it arrives."""
    kind = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            yield kind, json.loads(line[6:]), time.perf_counter()


def test_the_server_answers_while_warming_up_and_serves_everything(url):
    assert httpx.get(url + "/api/health").json()["ok"] is True
    assert httpx.get(url + "/").status_code == 200
    assert httpx.get(url + "/vendor/plotly.min.js").status_code == 200
    assert httpx.get(url + "/openapi.json").json()["info"]["title"] == "Optiscape"
    assert set(httpx.get(url + "/api/catalog").json()["schedules"]) == ALL_SCHEDULES


def test_post_and_stream_give_identical_numbers_over_the_wire(url):
    scene = {**CANYON, "steps": 20000, "runs": CANYON["runs"][:3]}
    posted = httpx.post(url + "/api/runs", json=scene, timeout=120).json()["runs"]
    token = httpx.post(url + "/api/permalinks", json=scene).json()["token"]
    with httpx.stream("GET", url + "/api/runs/stream", params={"s": token}, timeout=120) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(events_of(response))
    kinds = [kind for kind, _, _ in events]
    assert kinds[-1] == "done" and kinds.count("done") == 1 and kinds.count("chunk") == 3 * 10
    first_chunk, done = events[0][2], events[-1][2]
    assert first_chunk < done  # slices arrive as they are computed, not all at the end
    for index, run in enumerate(posted):
        for name in ("x", "loss", "lr", "step_norm"):
            streamed = np.concatenate([data[name] for kind, data, _ in events if kind == "chunk" and data["run"] == index])
            assert streamed.tolist() == run[name]


def test_errors_over_the_wire(url):
    assert httpx.post(url + "/api/runs", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert httpx.get(url + "/api/runs/stream", params={"s": "%%"}).status_code == 400
    answer = httpx.post(url + "/api/runs", json={"landscape": {"id": "rosenbrock"}, "runs": [{"start": [99, 0]}]})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "runs", 0, "start"]


def test_a_second_start_reuses_the_persistent_compilation_cache(tmp_path):
    """JAX's persistent cache fills on the first start; a second start loads what it compiled."""
    env = {"OPTISCAPE_JAX_CACHE": str(tmp_path)}
    scene = {**CANYON, "runs": CANYON["runs"][:2]}
    with serving("--no-warm-up", env=env) as base:
        assert httpx.post(base + "/api/runs", json=scene, timeout=120).status_code == 200
    entries = list(tmp_path.iterdir())
    assert entries, "nothing was written to the compilation cache"
    with serving("--no-warm-up", env=env) as base:
        assert httpx.post(base + "/api/runs", json=scene, timeout=120).status_code == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in entries)  # all hits, no new entries
