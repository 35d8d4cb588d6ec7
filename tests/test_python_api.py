"""`import optiscape`: the same numbers as the HTTP API, the page's three views as a Plotly figure, permalinks both
ways, and bad input refused with an error naming the field."""
import json
import re
from pathlib import Path

import numpy as np
import plotly
import plotly.graph_objects as go
import pytest
from fastapi.testclient import TestClient

import optiscape
from app.contract.catalog import catalog
from app.contract.figures import RDBU, VIRIDIS
from app.contract.scene import PALETTE
from app.server.factory import create_app

ROOT = Path(__file__).resolve().parents[1]
# one run that stops (a rate far too large escapes the map), one that settles, one with a colour of its own
SCENE = {"landscape": {"id": "himmelblau"}, "steps": 120, "runs": [
    {"label": "too fast", "schedule": {"id": "constant", "params": {"lr": 0.2}}, "start": [0.0, 0.0]},
    {"label": "decaying", "optimizer": {"id": "adam"}, "start": [-1.0, 1.0],
     "schedule": {"id": "exponential", "params": {"lr": 0.1, "decay_rate": 0.01, "decay_steps": 100}}},
    {"label": "mine", "schedule": {"id": "constant", "params": {"lr": 0.01}}, "start": [1.0, -1.0],
     "colour": "#123456"}]}
ARRAYS = ("x", "y", "loss", "lr", "grad_norm", "step_norm")


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(warm_up_scope="off")) as c:
        yield c


@pytest.fixture(scope="module")
def result():
    return optiscape.run(SCENE)


def test_the_numbers_are_the_http_answers_bit_for_bit(result, client):
    answer = client.post("/api/runs", json=SCENE).json()
    assert result.scene.model_dump(mode="json") == answer["scene"]
    assert [r["status"] for r in answer["runs"]] == result.status == ["escaped", "ok", "ok"]
    for mine, theirs in zip(result.runs, answer["runs"]):
        for name in ARRAYS:
            array = getattr(mine, name)
            assert isinstance(array, np.ndarray) and array.dtype == np.float64
            assert np.array_equal(array, np.asarray(theirs[name], dtype=np.float64)), name
        assert (mine.stopped_at, mine.summary) == (theirs["stopped_at"], theirs["summary"])
    # the summary is the page's table, row for row
    rows = result.summary
    assert [row["label"] for row in rows] == ["too fast", "decaying", "mine"]
    assert rows[0]["stopped_at"] == answer["runs"][0]["stopped_at"] > 0
    assert rows[1]["final_loss"] == answer["runs"][1]["summary"]["final_loss"]


def test_a_dict_a_scene_a_file_and_a_preset_run_alike(result, tmp_path):
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(SCENE))
    for same in (optiscape.run(str(path)), optiscape.run(path), optiscape.run(optiscape.Scene.model_validate(SCENE))):
        assert np.array_equal(same.runs[1].loss, result.runs[1].loss)
    assert [p["id"] for p in catalog()["presets"]] == list(optiscape.presets)
    preset = optiscape.run(optiscape.presets["quadratic_rates"])
    assert preset.scene.preset == "quadratic_rates" and len(preset.runs) == 4
    canyon = optiscape.run(ROOT / "examples" / "canyon.json")
    assert [run.label for run in canyon.runs][:2] == ["constant", "step"]


def test_the_figure_shows_three_views_in_the_pages_colours(result):
    fig = result.figure()
    assert isinstance(fig, go.Figure)
    kinds = [(trace.type, trace.meta) for trace in fig.data]
    assert kinds[:2] == [("contour", "landscape"), ("scatter", "minima")]
    assert len(fig.data[1].x) == 4  # Himmelblau's four minima as stars
    runs = [trace for trace in fig.data if str(trace.meta).startswith("run-")]
    assert len(runs) == 9  # path, learning rate and loss of each of three runs
    colours = [PALETTE[0], PALETTE[1], "#123456"]
    assert [trace.line.color for trace in runs] == colours * 3
    assert [trace.xaxis for trace in runs] == ["x"] * 3 + ["x2"] * 3 + ["x3"] * 3
    # the paths are the runs; the curves are η(k) and f(θ_k) − f* (f* = 0 on Himmelblau)
    path, lr, loss = runs[1], runs[4], runs[7]
    assert np.array_equal(path.x, result.runs[1].x) and np.array_equal(lr.y, result.runs[1].lr)
    assert np.array_equal(loss.y, np.maximum(result.runs[1].loss, 1e-16))
    # the rates span four decades: a log axis, as the page; the loss is on a log axis too
    assert fig.layout.yaxis2.type == "log" and fig.layout.yaxis3.type == "log"
    stopped = next(trace for trace in fig.data if trace.meta == "stopped")
    assert list(stopped.text) == [f"escaped at {result.runs[0].stopped_at}"]
    marker = next(trace for trace in fig.data if trace.meta == "step-marker")
    assert list(marker.marker.color) == colours
    assert marker.x[1] == result.runs[1].x[-1]


def test_the_colour_scales_are_the_pages_plotly_js_ones():
    """The page draws with plotly.js's built-in Viridis and RdBu (reversed for a diverging landscape, so its low
    values are red); the figure writes the same stops (plotly.py's own "RdBu" runs the other way)."""
    js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()

    def built_in(name):
        text = re.search(name + r":(\[\[.*?\]\])", js).group(1)
        return [tuple(stop) for stop in json.loads(re.sub(r"([\[,])\.(\d)", r"\g<1>0.\2", text))]

    assert [tuple(stop) for stop in VIRIDIS] == built_in("Viridis") and [tuple(s) for s in RDBU] == built_in("RdBu")
    peaks = optiscape.run({"landscape": {"id": "peaks"}, "steps": 10, "runs": [{}]}).figure().data[0]
    assert catalog()["landscapes"]["peaks"]["colour_scale"] == "diverging"
    assert peaks.reversescale is True and peaks.colorscale[-1][1] == "rgb(178,10,28)"
    assert optiscape.run({"landscape": {"id": "booth"}, "steps": 10, "runs": [{}]}).figure().data[0].colorscale[0] \
        == (0, "#440154")


def test_one_decade_of_rates_keeps_a_linear_axis():
    one = optiscape.run({"landscape": {"id": "booth"}, "steps": 30, "runs": [
        {"schedule": {"id": "cosine", "params": {"lr": 0.05}}}]})
    assert one.figure().layout.yaxis2.type == "log"  # cosine decays to 0: many decades of positive rates
    flat = optiscape.run({"landscape": {"id": "booth"}, "steps": 30, "runs": [
        {"schedule": {"id": "constant", "params": {"lr": 0.05}}},
        {"schedule": {"id": "constant", "params": {"lr": 0.01}}}]})
    assert flat.figure().layout.yaxis2.type == "linear"


def test_the_3d_view_and_a_step(result):
    fig = result.figure(view="3d", step=10)
    assert [trace.type for trace in fig.data][:2] == ["surface", "scatter3d"]
    path = fig.data[2]  # the second run's path, cut at the step
    assert path.meta == "run-1" and len(path.x) == 11 and path.line.color == PALETTE[1]
    marker = next(trace for trace in fig.data if trace.meta == "step-marker")
    assert list(marker.x) == [run.x[min(10, len(run.x) - 1)] for run in result.runs]  # the first stopped at 1
    assert [shape.x0 for shape in fig.layout.shapes] == [10, 10]  # the step on both curves
    # Himmelblau's colour scale is log, as on the page: f drawn as log10(f − min + 1), the paths on the surface
    assert catalog()["landscapes"]["himmelblau"]["colour_scale"] == "log"
    assert fig.layout.scene.zaxis.title.text == "log10(f − min + 1)"
    z_min = np.nanmin(fig.data[0].z)  # log10(min − min + 1) = 0 at the mesh's lowest point
    assert z_min == 0 and np.allclose(path.z, np.log10(result.runs[1].loss[:11] - 0 + 1), atol=0.02)


def test_a_result_shows_its_summary_table(result):
    table = result._repr_html_()
    assert "too fast" in table and "#123456" in table and f"escaped at step {result.runs[0].stopped_at}" in table


def test_permalinks_round_trip_and_match_the_server(client):
    link = optiscape.permalink(SCENE)
    token = client.post("/api/permalinks", json=SCENE).json()["token"]
    assert link == f"{optiscape.DEFAULT_BASE_URL}/?s={token}"
    assert optiscape.permalink(SCENE, base_url="https://class.example/") == f"https://class.example/?s={token}"
    scene = optiscape.open(link)
    assert scene == optiscape.open(token) and scene.model_dump(mode="json") == client.get(f"/api/permalinks/{token}").json()
    assert np.array_equal(optiscape.run(scene).runs[2].x, optiscape.run(SCENE).runs[2].x)
    with pytest.raises(ValueError, match="base64url"):
        optiscape.open("not a token!")


def test_bad_input_names_the_field_and_the_range(tmp_path):
    bad = {**SCENE, "steps": 120, "runs": [{"schedule": {"id": "constant", "params": {"lr": 50}}}]}
    with pytest.raises(optiscape.SceneError, match=r"runs\.0\.schedule\.params\.lr: must be in \(0, 10\], got 50"):
        optiscape.run(bad)
    with pytest.raises(optiscape.SceneError, match="steps: Input should be greater than or equal to 1"):
        optiscape.run({"landscape": {"id": "booth"}, "steps": 0, "runs": [{}]})
    with pytest.raises(optiscape.SceneError, match="landscape.id: unknown landscape 'nowhere'; one of: rosenb"):
        optiscape.run({"landscape": {"id": "nowhere"}, "runs": [{}]})
    with pytest.raises(ValueError, match="steps"):
        optiscape.Scene(landscape={"id": "booth"}, steps=10**9, runs=[{}])
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(optiscape.SceneError, match="not valid JSON"):
        optiscape.run(path)
    with pytest.raises(FileNotFoundError):
        optiscape.run(tmp_path / "missing.json")
    one = optiscape.run({"landscape": {"id": "booth"}, "steps": 5, "runs": [{}]})
    with pytest.raises(ValueError, match=r"view must be one of 'contour', '3d', got '2d'"):
        one.figure(view="2d")
    with pytest.raises(ValueError, match=r"step must be an integer in \[0, 5\]"):
        one.figure(step=6)


def test_a_report_file_from_python(tmp_path):
    out = optiscape.report(SCENE, tmp_path / "scene.html", base_url="https://class.example")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<td>too fast</td>" in page
    assert f'href="{optiscape.permalink(SCENE, base_url="https://class.example")}"' in page
