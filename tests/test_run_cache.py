"""The runs answered lately (app.contract.run_cache): a scene that differs from an earlier one in one run computes
that run alone, and every answer is still the one a fresh computation gives, bit for bit."""
import base64

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.contract import compute
from app.contract.plans import plan_of
from app.contract.run_cache import ENTRY_OVERHEAD, RUNS, RunCache, run_keys
from app.contract.scene import scene_of
from app.engine.trajectories import run_plan
from app.server.factory import create_app

SCENE = {"landscape": {"id": "rosenbrock"}, "steps": 300, "runs": [
    {"optimizer": {"id": o}, "schedule": {"id": s, "params": {"lr": lr}}, "start": [-1.5, 2.0],
     "noise": {"std": std, "seed": 3}}
    for o, s, lr, std in [("sgd", "constant", 1e-3, 0.0), ("momentum", "cosine", 1e-3, 0.5),
                          ("momentum", "step", 2e-3, 0.0), ("adam", "warmup_cosine", 0.05, 0.0),
                          ("momentum", "exponential", 1.5e-3, 0.2)]]}  # 3 momentum runs: one kernel, padded to 4
ARRAYS = ("x", "y", "loss", "lr", "grad_norm", "step_norm")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(warm_up_scope="off")) as c:
        yield c


def with_lr(scene, run, lr):
    out = {**scene, "runs": [dict(r) for r in scene["runs"]]}
    out["runs"][run] = {**out["runs"][run], "schedule": {**out["runs"][run]["schedule"], "params": {"lr": lr}}}
    return out


def decoded(run):
    return {name: np.frombuffer(base64.b64decode(run[name]["bdata"]), "<f8") for name in ARRAYS}


def same_bits(a, b):
    return all(np.array_equal(a[name].view(np.uint64), b[name].view(np.uint64)) for name in ARRAYS)


def fresh(scene):
    """The scene's runs computed now, the cache bypassed."""
    return [{name: np.asarray(getattr(t, name)) for name in ARRAYS} for t in run_plan(plan_of(scene_of(scene)))]


def test_a_run_alone_has_the_numbers_it_has_among_others():
    """What the cache's key rests on: nothing of a run's result comes from the other runs of its scene (their
    optimizers batched together, their noise, their count)."""
    together = fresh(SCENE)
    for i, run in enumerate(SCENE["runs"]):
        alone, = fresh({**SCENE, "runs": [run]})
        assert same_bits(alone, together[i]), i


def test_a_drag_of_one_run_computes_that_run_and_answers_what_a_fresh_computation_gives(client, monkeypatch):
    RUNS.clear()
    computed_runs = []
    real = compute.computed
    monkeypatch.setattr(compute, "computed", lambda scene: computed_runs.append(len(scene.runs)) or real(scene))
    first = client.post("/api/runs?arrays=bdata", json=SCENE).json()
    assert computed_runs == [5]
    for lr in (1.1e-3, 1.2e-3, 1.1e-3):  # the last value again: from the cache, as the first time
        dragged = with_lr(SCENE, 1, lr)
        answer = client.post("/api/runs?arrays=bdata", json=dragged).json()
        assert answer["scene"]["runs"][1]["schedule"]["params"]["lr"] == lr
        expected = fresh(dragged)
        assert all(same_bits(decoded(run), expected[i]) for i, run in enumerate(answer["runs"]))
        assert decoded(answer["runs"][1])["lr"][0] == lr and not same_bits(decoded(answer["runs"][1]), decoded(first["runs"][1]))
        assert all(answer["runs"][i] == first["runs"][i] for i in (0, 2, 3, 4))
    assert computed_runs == [5, 1, 1]  # 1.1e-3 a second time: nothing computed
    # a change of the scene (steps) is a new key for every run; a new label or colour is none
    client.post("/api/runs?arrays=bdata", json={**SCENE, "steps": 301})
    relabelled = {**SCENE, "runs": [{**r, "label": f"run {i}", "colour": "#123456"} for i, r in enumerate(SCENE["runs"])]}
    assert client.post("/api/runs?arrays=bdata", json=relabelled).json()["scene"]["runs"][2]["label"] == "run 2"
    assert computed_runs == [5, 1, 1, 5]


def test_plain_and_typed_answers_are_kept_apart_and_what_is_kept_cannot_be_changed(client):
    RUNS.clear()
    plain = compute.answer_runs(scene_of(SCENE))
    typed = client.post("/api/runs?arrays=bdata", json=SCENE).json()
    again = client.post("/api/runs", json=SCENE).json()
    assert isinstance(typed["runs"][0]["x"], dict) and isinstance(again["runs"][0]["x"], list)
    assert np.array_equal(decoded(typed["runs"][2])["loss"], np.asarray(again["runs"][2]["loss"], dtype=float))
    with pytest.raises(ValueError):
        plain["runs"][0]["x"][0] = 99.0  # a caller writing into its answer would change the next one's
    assert compute.answer_runs(scene_of(SCENE))["runs"][0]["x"][0] == -1.5


def test_the_cache_keeps_at_most_its_bytes_and_drops_the_least_recently_used_first():
    entry = ENTRY_OVERHEAD + 1 + 800  # a one-letter key, 100 float64
    cache = RunCache(max_bytes=3 * entry)
    for key in "abc":
        cache.put(key, {"x": np.zeros(100)})  # full
    assert cache.get("a") is not None  # a used: b is now the oldest
    cache.put("d", {"x": np.zeros(100), "internals": {"state": {"mu": np.zeros((150, 2))}}})  # 3200 bytes: b, c out
    assert [key for key in "abcd" if cache.get(key) is not None] == ["a", "d"]
    assert cache.bytes == entry + ENTRY_OVERHEAD + 1 + 3200 <= cache.max_bytes
    cache.put("e", {"x": np.zeros(1000)})  # larger than the cache: not kept, nothing dropped for it
    assert cache.get("e") is None and len(cache) == 2


def test_a_kept_run_that_stopped_early_holds_its_own_numbers_not_its_groups_padded_records():
    RUNS.clear()
    escaping = {"landscape": {"id": "rosenbrock"}, "steps": 20_000,
                "runs": [{"optimizer": {"id": "sgd"}, "schedule": {"id": "constant", "params": {"lr": 5.0}}}]}
    run, = compute.answer_runs(scene_of(escaping))["runs"]
    assert run["status"] != "ok" and len(run["x"]) < 10  # it escaped at once
    assert run["x"].base is None and not run["x"].flags.writeable  # a copy of its own, read-only
    assert RUNS.bytes < 2 * ENTRY_OVERHEAD + len(run_keys(scene_of(escaping).model_dump(), False)[0])
