"""The HTTP API in process (TestClient): every endpoint and every error path of the contract."""
import base64
import json
from pathlib import Path

import numpy as np
import plotly
import pytest
from fastapi.testclient import TestClient

from app.server.factory import create_app
from app.contract.permalink import encode
from app.vocabulary.limits import MAX_BODY_BYTES, MAX_MESH_N as MAX_MESH, MAX_RUNS, MAX_STEPS, MAX_TOKEN_LENGTH
from app.optimizers import OPTIMIZERS
from app.contract.scene import PLATEAU_OPTION_PARAMS
from app.schedules import SCHEDULES
from landscapes import LANDSCAPES
from app.vocabulary.params import check_value
from optimizers_and_schedules import ALL_OPTIMIZERS, ALL_SCHEDULES

ROOT = Path(__file__).resolve().parents[1]
CANYON = json.loads((ROOT / "examples" / "canyon.json").read_text())


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(warm_up_scope="off")) as c:
        yield c


def test_catalog_lists_everything_with_ranges_and_docs(client):
    catalog = client.get("/api/catalog").json()
    assert set(catalog["landscapes"]) == set(LANDSCAPES) | {"expression"}
    assert set(catalog["optimizers"]) == ALL_OPTIMIZERS and set(catalog["schedules"]) == ALL_SCHEDULES
    step = {p["name"]: p for p in catalog["schedules"]["step"]["params"]}
    assert step["step_size"]["default"] == 100 and step["step_size"]["default_expr"] == "T/5"
    assert step["step_size"]["max"] == "T" and step["gamma"]["range"] == "(0, 1]" and step["gamma"]["doc"]
    peaks = catalog["landscapes"]["peaks"]
    assert [m["name"] for m in peaks["critical_points"] if m["kind"] == "minimum"] == ["G", "L", "S"]
    assert peaks["starts"][0] == {"x": 0.0, "y": 1.5, "note": "falls into the shallow minimum S without momentum"}
    assert catalog["limits"]["max_steps"] == MAX_STEPS and catalog["limits"]["max_runs"] == MAX_RUNS
    assert catalog["limits"]["max_mesh_n"] == MAX_MESH and catalog["limits"]["max_token_length"] == MAX_TOKEN_LENGTH
    yogi = {p["name"]: p for p in catalog["optimizers"]["yogi"]["params"]}
    assert yogi["initial_accumulator_value"]["default"] == 1e-6


def test_catalog_is_the_validation_source(client):
    """A value the catalog calls out of range is refused by the API, and its default is what the API fills in."""
    catalog = client.get("/api/catalog").json()
    for schedule_id, entry in catalog["schedules"].items():
        if schedule_id == "sequence":
            continue
        answer = client.post("/api/permalinks", json={"landscape": {"id": "booth"}, "steps": 500,
                                                      "runs": [{"schedule": {"id": schedule_id}}]})
        assert answer.status_code == 200
        filled = client.get(f"/api/permalinks/{answer.json()['token']}").json()["runs"][0]["schedule"]["params"]
        assert filled == {p["name"]: p["default"] for p in entry["params"]}


def _numbers(catalog):
    """Every numeric parameter of the catalog: (where, entry)."""
    for kind in ("landscapes", "optimizers", "schedules"):
        for component_id, entry in catalog[kind].items():
            yield from ((f"{kind}.{component_id}", p) for p in entry["params"])
    yield from (("run_options.plateau", p) for p in catalog["run_options"]["plateau"])


def test_every_slider_spans_only_values_the_api_accepts(client):
    """A slider never proposes a number the server refuses: both ends of every parameter's slider pass the same
    validation as a scene's value (at T = 500), a log slider stays above 0 (the page puts 0 at its left end where
    0 is allowed), and the default lies inside."""
    catalog = client.get("/api/catalog").json()
    params = {(f"landscapes.{lid}", p.name): p for lid, landscape in LANDSCAPES.items() for p in landscape.params}
    params |= {(f"optimizers.{oid}", p.name): p for oid, o in OPTIMIZERS.items() for p in o.params}
    params |= {(f"schedules.{sid}", p.name): p for sid, s in SCHEDULES.items() for p in s.params}
    params |= {("run_options.plateau", p.name): p for p in PLATEAU_OPTION_PARAMS}
    checked = 0
    for where, entry in _numbers(catalog):
        slider = entry["slider"]
        if entry["kind"] not in ("int", "float"):
            assert slider is None, (where, entry["name"])
            continue
        ends = [500 if v == "T" else v for v in (slider["min"], slider["max"])]
        assert ends[0] < ends[1], (where, entry["name"], slider)
        for end in ends:
            assert check_value(params[where, entry["name"]], end, 500)[1] is None, (where, entry["name"], end)
        if slider["scale"] == "log":
            assert ends[0] > 0
        zero_end = slider["scale"] == "log" and entry["min"] == 0 and not entry["min_exclusive"]  # the page's 0
        if isinstance(entry["default"], (int, float)) and not (zero_end and entry["default"] == 0):
            assert ends[0] <= entry["default"] <= ends[1], (where, entry["name"])
        checked += 1
    assert checked > 80
    for name, slider in catalog["sliders"].items():
        assert slider["min"] < slider["max"] and (slider["scale"] == "linear" or slider["min"] > 0), name
    assert catalog["sliders"]["steps"]["max"] <= catalog["limits"]["max_steps"]


def test_catalog_palette_sweepables_and_stream_chunks_are_the_servers(client):
    catalog = client.get("/api/catalog").json()
    scene = {"landscape": {"id": "booth"}, "steps": 10, "runs": [{}] * 12}
    filled = client.get(f"/api/permalinks/{client.post('/api/permalinks', json=scene).json()['token']}").json()
    assert [run["colour"] for run in filled["runs"]] == (catalog["palette"] * 2)[:12]
    small = {"landscape": {"id": "booth"}, "steps": 20, "runs": [{"clip_norm": 1.0, "noise": {"std": 0.1, "seed": 0}}]}
    for param in catalog["sweep_params"]:
        param = param.replace("<name>", "lr") if param.startswith("schedule") else param.replace("<name>", "momentum")
        if "inner" in param:
            continue  # only a Lookahead run has an inner optimizer
        values = [10, 20] if param == "steps" else [0.1, 0.2]
        scene = {**small, "runs": [{**small["runs"][0], "optimizer": {"id": "momentum"}}]}
        answer = client.post("/api/sweeps", json={"scene": scene, "x": {"param": param, "values": values}})
        assert answer.status_code == 200, (param, answer.text)
    token = client.post("/api/permalinks", json={**small, "steps": catalog["stream_chunk_steps"]}).json()["token"]
    with client.stream("GET", "/api/runs/stream", params={"s": token}) as stream:
        chunks = [e for e in read_events("".join(stream.iter_text())) if e[0] == "chunk"]
    assert [len(data["x"]) for _, data in chunks] == [catalog["stream_chunk_steps"], 1]


def test_post_runs_returns_the_contract_document(client):
    answer = client.post("/api/runs", json=CANYON)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    document = answer.json()
    assert document["scene"]["runs"][1]["schedule"]["params"] == {"lr": 0.02, "step_size": 100, "gamma": 0.5}
    run = document["runs"][0]
    assert len(run["x"]) == 501 and len(run["lr"]) == 500 and run["status"] == "ok" and run["stopped_at"] is None
    assert set(run["summary"]) >= {"final_loss", "best_loss", "distance_to_nearest_minimum", "nearest_minimum",
                                   "steps_to_tolerance"}


def test_large_answers_are_compressed(client):
    answer = client.post("/api/runs", json=CANYON, headers={"accept-encoding": "gzip"})
    assert answer.headers.get("content-encoding") == "gzip"


@pytest.mark.parametrize("body,status,where", [
    ({"landscape": {"id": "rosenbrock"}, "runs": [{"schedule": {"id": "cosine", "params": {"lr": 20}}}]}, 422,
     ["body", "runs", 0, "schedule", "params", "lr"]),
    ({"landscape": {"id": "rosenbrock"}, "runs": [{"nonsense": 1}]}, 422, ["body", "runs", 0, "nonsense"]),
    ({"landscape": {"id": "rosenbrock"}, "steps": MAX_STEPS + 1, "runs": [{}]}, 422, ["body", "steps"]),
    ({"landscape": {"id": "rosenbrock"}, "runs": [{}] * (MAX_RUNS + 1)}, 422, ["body", "runs"]),
    ({"landscape": {"id": "everest"}, "runs": [{}]}, 422, ["body", "landscape", "id"]),
])
def test_bad_scenes_are_422_naming_the_field(client, body, status, where):
    answer = client.post("/api/runs", json=body)
    assert answer.status_code == status
    assert where in [e["loc"] for e in answer.json()["detail"]]


def test_the_report_refuses_what_runs_refuses_and_is_sent_as_it_is(client):
    """POST /api/report: the errors of POST /api/runs; a 5 MB answer sent without gzip (never compressed on the
    event loop). Its content is tested in test_cli.py (the same file as `optiscape report`) and test_browser.py."""
    bad = client.post("/api/report", json={"landscape": {"id": "rosenbrock"},
                                           "runs": [{"schedule": {"id": "cosine", "params": {"lr": 20}}}]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "runs", 0, "schedule", "params", "lr"]
    assert "must be in (0, 10], got 20" in bad.json()["detail"][0]["msg"]
    broken = client.post("/api/report", content=b'{"landscape": ', headers={"content-type": "application/json"})
    assert broken.status_code == 400
    small = {"landscape": {"id": "booth"}, "steps": 20, "runs": [{}]}
    answer = client.post("/api/report", json=small, headers={"accept-encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["content-encoding"] == "identity"
    assert answer.text.startswith("<!DOCTYPE html>") and len(answer.content) > 4_000_000  # plotly.js inside


def test_malformed_json_is_400(client):
    answer = client.post("/api/runs", content=b'{"landscape": ', headers={"content-type": "application/json"})
    assert answer.status_code == 400 and answer.json()["detail"][0]["type"] == "json_invalid"


def test_a_body_over_the_limit_is_413(client):
    answer = client.post("/api/runs", content=b" " * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_mesh_for_any_parameters(client):
    answer = client.get("/api/landscapes/rosenbrock/mesh", params={"n": 21, "a": -1.0, "b": 10})
    assert answer.status_code == 200
    mesh = answer.json()
    assert len(mesh["x"]) == 21 and len(mesh["z"]) == 21 and len(mesh["z"][0]) == 21
    assert mesh["z"][10][5] == pytest.approx((-1 - mesh["x"][5]) ** 2 + 10 * (mesh["y"][10] - mesh["x"][5] ** 2) ** 2)
    default = client.get("/api/landscapes/rosenbrock/mesh", params={"n": 21}).json()
    assert default["z"] != mesh["z"]


@pytest.mark.parametrize("url,status", [
    ("/api/landscapes/everest/mesh", 404),
    ("/api/landscapes/rosenbrock/mesh?n=1", 422),
    (f"/api/landscapes/rosenbrock/mesh?n={MAX_MESH + 1}", 422),
    ("/api/landscapes/rosenbrock/mesh?a=9", 422),
    ("/api/landscapes/rosenbrock/mesh?a=high", 422),
    ("/api/landscapes/rosenbrock/mesh?zeta=1", 422),
])
def test_mesh_errors(client, url, status):
    assert client.get(url).status_code == status


def test_permalink_round_trip(client):
    answer = client.post("/api/permalinks", json=CANYON).json()
    assert answer["url"] == f"/?s={answer['token']}"
    scene = client.get(f"/api/permalinks/{answer['token']}").json()
    assert scene == client.post("/api/runs", json=CANYON).json()["scene"]


@pytest.mark.parametrize("token,status", [
    ("not$base64", 400),
    (encode([1, 2, 3]), 422),
    (encode({"landscape": {"id": "rosenbrock"}, "runs": [{"schedule": {"id": "nope"}}]}), 422),
    ("A" * (MAX_TOKEN_LENGTH + 1), 413),
])
def test_bad_permalinks(client, token, status):
    assert client.get(f"/api/permalinks/{token}").status_code == status
    assert client.get("/api/runs/stream", params={"s": token}).status_code == status


def read_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_equals_post(client):
    scene = {**CANYON, "steps": 5000, "runs": CANYON["runs"][:2] + [
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.5}}, "start": [-1.2, 1]}]}
    token = client.post("/api/permalinks", json=scene).json()["token"]
    with client.stream("GET", "/api/runs/stream", params={"s": token}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = read_events("".join(stream.iter_text()))
    posted = client.post("/api/runs", json=scene).json()["runs"]
    assert events[-1][0] == "done" and [e for e, _ in events[:-1]] == ["chunk"] * (len(events) - 1)
    assert len([e for e, data in events if e == "chunk" and data["run"] == 0]) == 3  # 5001 iterates in 2048s
    for index, run in enumerate(posted):
        chunks = [data for kind, data in events if kind == "chunk" and data["run"] == index]
        for name in ("x", "y", "loss", "lr", "grad_norm", "step_norm"):
            assert np.concatenate([c[name] for c in chunks]).tolist() == run[name], name
        assert events[-1][1]["runs"][index] == {k: run[k] for k in ("status", "stopped_at", "summary")}
    assert posted[2]["status"] != "ok"


TYPED_SCENE = {**CANYON, "steps": 3000, "runs": CANYON["runs"][:1] + [
    {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.5}}, "start": [-1.2, 1]},
    {"optimizer": {"id": "lookahead"}, "schedule": {"id": "cosine", "params": {"lr": 0.001}}, "start": [-1.2, 1],
     "noise": {"std": 1.0, "seed": 3}}]}


def untyped(array: dict) -> list:
    """A typed array back to the JSON answer's list: its float64 numbers, null where one is not finite."""
    assert array["dtype"] == "f8"
    values = np.frombuffer(base64.b64decode(array["bdata"]), dtype="<f8")
    return [v if np.isfinite(v) else None for v in values.tolist()]


def test_typed_arrays_carry_the_json_answers_numbers_bit_for_bit(client):
    """?arrays=bdata: every array of every run as {dtype: "f8", bdata}, the same float64 numbers as the JSON
    answer (stopped runs and Lookahead's fast weights included), everything else identical, and fewer bytes."""
    plain = client.post("/api/runs", json=TYPED_SCENE, headers={"accept-encoding": "identity"})
    typed = client.post("/api/runs", params={"arrays": "bdata"}, json=TYPED_SCENE)  # gzip accepted, not used
    assert typed.status_code == 200 and typed.headers["content-encoding"] == "identity"
    assert len(typed.content) < 0.7 * len(plain.content)
    plain, typed = plain.json(), typed.json()
    assert typed["scene"] == plain["scene"] and plain["runs"][1]["status"] != "ok"
    fields = ("x", "y", "loss", "lr", "grad_norm", "step_norm", "fast_x", "fast_y")
    for p, t in zip(plain["runs"], typed["runs"]):
        assert {k: v for k, v in t.items() if k not in fields} == {k: v for k, v in p.items() if k not in fields}
        assert set(t) == set(p)
        for name in set(fields) & set(p):
            assert untyped(t[name]) == p[name], name
    assert "fast_x" in typed["runs"][2]
    assert client.post("/api/runs", params={"arrays": "binary"}, json=TYPED_SCENE).status_code == 422


def test_typed_stream_carries_the_json_streams_numbers_bit_for_bit(client):
    token = client.post("/api/permalinks", json=TYPED_SCENE).json()["token"]
    texts = {}
    for arrays in ("json", "bdata"):
        with client.stream("GET", "/api/runs/stream", params={"s": token, "arrays": arrays}) as stream:
            texts[arrays] = read_events("".join(stream.iter_text()))
    plain, typed = texts["json"], texts["bdata"]
    assert [kind for kind, _ in typed] == [kind for kind, _ in plain] and len(plain) > 4
    for (kind, p), (_, t) in zip(plain, typed):
        if kind == "done":
            assert t == p
            continue
        assert (t["run"], t["start_step"]) == (p["run"], p["start_step"])
        assert {name: untyped(t[name]) for name in p if name not in ("run", "start_step")} == \
            {name: p[name] for name in p if name not in ("run", "start_step")}


def test_openapi_documents_every_endpoint_and_error(client):
    spec = client.get("/openapi.json").json()
    for path, method in [("/api/runs", "post"), ("/api/runs/stream", "get"), ("/api/permalinks", "post"),
                         ("/api/permalinks/{token}", "get"), ("/api/landscapes/{landscape_id}/mesh", "get"),
                         ("/api/report", "post")]:
        responses = spec["paths"][path][method]["responses"]
        assert {"400", "413", "422"} <= set(responses), (path, responses.keys())
    assert "Scene" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_frontend_and_plotly_are_served_locally(client):
    assert client.get("/").status_code == 200
    plotly_js = client.get("/vendor/plotly.min.js")
    assert plotly_js.status_code == 200 and b"plotly" in plotly_js.content[:2000].lower()
    assert plotly_js.headers["content-encoding"] == "gzip"
    plain = client.get("/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == plotly_js.content  # the same file either way
    # V8's compile hint first (a comment to any other engine), then the installed package's file unchanged
    hint, _, rest = plain.content.partition(b"\n")
    assert hint == b"//# allFunctionsCalledOnLoad" and rest == (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    again = client.get("/vendor/plotly.min.js", headers={"If-None-Match": plotly_js.headers["etag"]})
    assert again.status_code == 304 and not again.content  # a returning browser revalidates without the 4.8 MB


def test_security_headers_and_no_reflection_of_input_as_html(client):
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert client.get("/docs").headers["content-security-policy"] == csp
    for answer in (page, client.get("/api/catalog"), client.post("/api/runs", json={"x": 1})):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
    hostile = "<script>alert(1)</script>"
    answer = client.post("/api/runs", json={"landscape": {"id": hostile}, "runs": [{}]})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"
    missing = client.get(f"/api/landscapes/{hostile}/mesh")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"


def test_only_the_embed_may_be_framed_and_by_any_site(client):
    token = encode(CANYON)
    embed = client.get("/embed", params={"s": token, "view": "3d", "views": "loss,landscape"})
    assert embed.status_code == 200 and 'src="/static/js/embed.js"' in embed.text
    csp = embed.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "'none'" not in csp.split("frame-ancestors")[1]
    assert "x-frame-options" not in embed.headers
    assert csp.replace("frame-ancestors *", "") == client.get("/").headers["content-security-policy"].replace(
        "frame-ancestors 'none'", "")  # otherwise the same policy
    for refused in (client.get("/"), client.get("/docs"), client.get("/api/catalog"), client.get("/embed/", follow_redirects=False),
                    client.get("/static/embed.html"), client.get("/api/permalinks/" + token)):
        assert refused.headers["x-frame-options"] == "DENY", refused.url
        assert "frame-ancestors 'none'" in refused.headers["content-security-policy"], refused.url


@pytest.mark.parametrize("query, loc, says", [
    ({"view": "contour"}, ["query", "s"], "Field required"),
    ({"s": "%%"}, ["query", "s"], "not base64url"),
    ({"s": encode({"landscape": {"id": "rosenbrock"}, "runs": [{"start": [99, 0]}]})}, ["query", "s", "runs", 0, "start"], ""),
    ({"s": "x" * (MAX_TOKEN_LENGTH + 1)}, ["query", "s"], f"the limit is {MAX_TOKEN_LENGTH}"),
    ({"s": "TOKEN", "view": "top"}, ["query", "view"], "'contour' or '3d'"),
    ({"s": "TOKEN", "views": "landscape,map"}, ["query", "views"], "landscape, lr, loss"),
    ({"s": "TOKEN", "views": "lr,lr"}, ["query", "views"], "at most once"),
    ({"s": "TOKEN", "views": ""}, ["query", "views"], "landscape, lr, loss"),
])
def test_a_bad_embed_query_is_a_422_naming_the_parameter(client, query, loc, says):
    query = {name: encode(CANYON) if value == "TOKEN" else value for name, value in query.items()}
    answer = client.get("/embed", params=query)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"
    problem = answer.json()["detail"][0]
    assert problem["loc"] == loc and says in problem["msg"], problem
