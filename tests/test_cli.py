"""The command line as a user runs it: a real subprocess, real files."""
import csv
import html
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.contract.permalink import decode, encode
from app.contract.report import plotly_js
from app.server.factory import create_app

ROOT = Path(__file__).resolve().parents[1]


def optiscape(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=300)


def test_run_prints_the_same_document_as_the_api(tmp_path):
    out = tmp_path / "canyon.json"
    done = optiscape("run", "examples/canyon.json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert len(document["runs"]) == 5 and document["scene"]["runs"][0]["optimizer"]["params"] == {}
    first = document["runs"][0]
    assert len(first["x"]) == 501 and len(first["lr"]) == 500
    assert first["summary"]["final_loss"] == pytest.approx(0.0824, abs=1e-4)


def test_run_writes_csv_rows_per_step(tmp_path):
    done = optiscape("run", "examples/canyon.json", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 5 * 501
    assert rows[0]["label"] == "constant" and float(rows[0]["loss"]) == 901.0 and rows[0]["lr"] == "0.02"
    assert rows[500]["lr"] == ""  # no update after the last iterate


@pytest.mark.parametrize("stdin,words", [
    ('{"landscape": {"id": "rosenbrock"}, "runs": [{"schedule": {"id": "cosine", "params": {"lr": 20}}}]}',
     "runs.0.schedule.params.lr: must be in (0, 10], got 20"),
    ("{not json", "not valid JSON"),
    ('{"landscape": {"id": "moon"}, "runs": [{}]}', "landscape.id: unknown landscape 'moon'"),
])
def test_bad_input_is_one_line_and_exit_status_2(stdin, words):
    done = optiscape("run", "-", stdin=stdin)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and words in done.stderr and "Traceback" not in done.stderr


def test_missing_file_is_one_line():
    done = optiscape("run", "no/such/scene.json")
    assert done.returncode == 2 and "cannot read" in done.stderr and done.stderr.count("\n") == 1


def test_open_prints_the_scene_of_a_permalink():
    token = encode({"landscape": {"id": "saddle2"}, "runs": [{"optimizer": {"id": "yogi"}}]})
    done = optiscape("open", f"http://127.0.0.1:8000/?s={token}")
    assert done.returncode == 0, done.stderr
    scene = json.loads(done.stdout)
    assert scene["landscape"]["id"] == "saddle2" and scene["runs"][0]["start"] == [2.0, 0.0]
    bad = optiscape("open", "%%%")
    assert bad.returncode == 2 and "base64url" in bad.stderr


def test_explore_commands_answer_like_the_api(tmp_path):
    basins = optiscape("basins", "examples/canyon.json", "--n", "6")
    assert basins.returncode == 0, basins.stderr
    assert len(json.loads(basins.stdout)["basin"]) == 6
    sweep = optiscape("sweep", "examples/canyon.json", "--x", "schedule.params.lr:0.001:0.02:3:log",
                      "--y", "clip_norm=0.5,1")
    assert sweep.returncode == 0, sweep.stderr
    assert np_shape(json.loads(sweep.stdout)["final_loss"]) == (2, 3)
    test = optiscape("range-test", "examples/canyon.json", "--steps", "100")
    assert test.returncode == 0 and "max_lr" in json.loads(test.stdout)["suggestion"]
    bad = optiscape("sweep", "examples/canyon.json", "--x", "schedule.params.lr=0.01,30")
    assert bad.returncode == 2 and "x.values.1" in bad.stderr and bad.stderr.count("\n") == 1
    seeds = optiscape("seeds", "examples/canyon.json")
    assert seeds.returncode == 2 and "noise.std" in seeds.stderr


def np_shape(rows):
    return (len(rows), len(rows[0]))


def test_report_writes_one_file_that_is_the_servers_report(tmp_path):
    """`optiscape report` writes the HTML file `POST /api/report` answers, byte for byte (at the same base URL):
    plotly.js inside it, nothing to fetch, the summary, the scene and a permalink that reads back the scene."""
    out = tmp_path / "canyon.html"
    done = optiscape("report", "examples/canyon.json", "-o", str(out), "--base-url", "http://testserver")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    with TestClient(create_app(warm_up_scope="off")) as client:
        answer = client.post("/api/report", json=json.loads((ROOT / "examples" / "canyon.json").read_text()))
    assert answer.status_code == 200 and answer.text == page
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="optiscape_report.html"'
    assert f"<script>{plotly_js()}</script>" in page  # the installed package's plotly.js, inlined
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing loaded from anywhere
    link = re.search(r'class="permalink" href="([^"]+)"', page).group(1)
    scene = json.loads(html.unescape(re.search(r'<pre id="scene">(.*?)</pre>', page, re.S).group(1)))
    assert link.startswith("http://testserver/?s=") and decode(link.split("?s=")[1]) == scene
    assert [run["label"] for run in scene["runs"]] == ["constant", "step", "cosine", "SGDR", "warmup + cosine"]
    assert "<caption>Summary (tolerance 0.001 on f − f*)</caption>" in page and "<td>SGDR</td>" in page
    bad = optiscape("report", "-", "-o", str(tmp_path / "bad.html"),
                    stdin='{"landscape": {"id": "booth"}, "steps": 0, "runs": [{}]}')
    assert bad.returncode == 2 and "steps" in bad.stderr and not (tmp_path / "bad.html").exists()
