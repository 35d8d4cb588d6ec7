"""Tuning a run's base rate: every rate of the log sweep scored as the run itself would end, in one grid call, the
best rate named; bad requests answered 422 naming the field; the command line gives the same answer."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.contract import compute
from app.contract.catalog import catalog
from app.features import cells
from app.server.factory import create_app
from app.vocabulary.limits import MAX_TUNE_N

ROOT = Path(__file__).resolve().parents[1]
SCENE = {"landscape": {"id": "rosenbrock"}, "steps": 300, "tolerance": 0.01, "runs": [
    {"optimizer": {"id": "adam"}, "schedule": {"id": "cosine", "params": {"lr": 0.01}}, "start": [-1.2, 1.0]},
    {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.001}}, "start": [-1.2, 1.0]}]}


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(warm_up_scope="off"))


def _runs_at(rates, run=0):
    """The run alone at each rate: one scene, one run per rate (the runs kernel, not the grid's)."""
    base = SCENE["runs"][run]
    runs = [{**base, "schedule": {**base["schedule"], "params": {**base["schedule"]["params"], "lr": rate}}}
            for rate in rates]
    return compute.run_scene({**SCENE, "runs": runs})


@pytest.mark.parametrize("metric", ["final_loss", "steps_to_tolerance"])
def test_scores_are_the_runs_own_and_best_is_the_best_of_them(metric):
    answer = compute.tune(SCENE, 1, metric, 1e-5, 1e-2, 12)
    assert answer["param"] == "schedule.params.lr" and len(answer["values"]) == 12
    np.testing.assert_allclose(answer["values"], np.geomspace(1e-5, 1e-2, 12), rtol=1e-15)
    singles = _runs_at(answer["values"], run=1)
    assert [r.status for r in singles] == answer["status"]
    assert "escaped" in answer["status"] or "diverged" in answer["status"], "the sweep should reach a stopping rate"
    for score, single in zip(answer["scores"], singles):
        if single.status != "ok":
            assert score is None
        elif metric == "final_loss":
            assert score == pytest.approx(single.summary["final_loss"], rel=1e-9, abs=1e-12)
        else:
            assert score == single.summary["steps_to_tolerance"]  # None: never within tolerance
    scored = [(s, v) for s, v in zip(answer["scores"], answer["values"]) if s is not None]
    assert answer["best"] in answer["values"]
    assert answer["scores"][answer["values"].index(answer["best"])] == min(s for s, _ in scored)


def test_a_tune_is_one_grid_call(monkeypatch):
    calls = []
    real = cells.run_grid
    monkeypatch.setattr(cells, "run_grid", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    compute.tune(SCENE, 0, "final_loss", 1e-4, 1.0, 9)
    assert len(calls) == 1


def test_defaults_span_the_parameters_slider_in_the_catalog(client):
    slider = next(p for p in catalog()["schedules"]["cosine"]["params"] if p["name"] == "lr")["slider"]
    answer = client.post("/api/tune", json={"scene": SCENE, "run": 0})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["metric"] == "final_loss" and len(body["values"]) == 25
    assert body["values"][0] == pytest.approx(slider["min"]) and body["values"][-1] == pytest.approx(slider["max"])


def test_a_schedule_without_lr_tunes_its_peak_rate():
    scene = {**SCENE, "runs": [{"optimizer": {"id": "sgd"}, "schedule": {"id": "one_cycle"}, "start": [-1.2, 1.0]}]}
    answer = compute.tune(scene, 0, "final_loss", 1e-4, 1e-2, 4)
    assert answer["param"] == "schedule.params.max_lr" and answer["best"] in answer["values"]


@pytest.mark.parametrize("change, loc", [
    ({"from": 1e-3, "to": 20.0}, ["body", "to"]),  # above lr's range (0, 10]
    ({"from": 0.0, "to": 1.0}, ["body", "from"]),
    ({"from": 0.1, "to": 0.01}, ["body", "to"]),
    ({"run": 2}, ["body", "run"]),
    ({"n": MAX_TUNE_N + 1}, ["body", "n"]),
    ({"metric": "speed"}, ["body", "metric"]),
])
def test_bad_requests_are_422_naming_the_field(client, change, loc):
    response = client.post("/api/tune", json={"scene": SCENE, "run": 0, **change})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


def test_a_rate_the_schedule_refuses_is_422_and_a_sequence_has_no_rate(client):
    cyclical = {**SCENE, "runs": [{"schedule": {"id": "triangular", "params": {"base_lr": 0.001}}}]}
    response = client.post("/api/tune", json={"scene": cyclical, "from": 1e-4, "to": 1.0, "n": 4})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "from"]
    assert "max_lr = 0.0001" in response.json()["detail"][0]["msg"]
    by_default = client.post("/api/tune", json={"scene": cyclical, "n": 4}).json()  # from its floor, base_lr
    assert by_default["param"] == "schedule.params.max_lr" and by_default["values"][0] == 0.001
    sequence = {**SCENE, "runs": [{"schedule": {"id": "sequence", "params": {"parts": [
        {"schedule": {"id": "constant"}, "steps": 100}, {"schedule": {"id": "constant"}}]}}}]}
    response = client.post("/api/tune", json={"scene": sequence})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "run"]


def test_the_command_line_tunes_as_the_api(tmp_path, client):
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(SCENE))
    done = subprocess.run([sys.executable, "-m", "app.cli", "tune", str(path), "--run", "1", "--metric",
                           "steps_to_tolerance", "--from", "1e-5", "--to", "0.01", "--n", "6"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    api = client.post("/api/tune", json={"scene": SCENE, "run": 1, "metric": "steps_to_tolerance", "from": 1e-5,
                                         "to": 0.01, "n": 6}).json()
    assert json.loads(done.stdout) == api
    bad = subprocess.run([sys.executable, "-m", "app.cli", "tune", str(path), "--from", "20"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("optiscape: error: from:")
