"""Schemathesis over the whole OpenAPI surface, in-process (ASGI), offline.

For every operation, Hypothesis draws requests from the published schema, valid and invalid, and each answer
must: not be a 5xx; have a status code the schema documents for that operation; have the documented content
type; match the documented response schema; refuse a request that breaks the schema with a 4xx.

One check is left out, on purpose: `positive_data_acceptance` expects every schema-valid request to succeed.
The JSON schema cannot say everything a scene must satisfy (a parameter range written in T, a start inside the
domain, a run whose schedule lacks the swept parameter), so such requests get a documented 422 naming the field.
"""
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.transport import Response

from app.server.factory import create_app
from app.contract.permalink import encode

# A refusal is any documented 4xx: schemathesis' default list for "rejected" lacks 413 and 414, which a string
# over its maxLength can earn first (a URL over max_url_bytes is a 414 before the query is read).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": ["400", "404", "405", "413", "414", "422"]}}})
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(warm_up_scope="off"), config=CONFIG)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


SCENE = {"landscape": {"id": "rosenbrock"}, "steps": 300, "runs": [
    {"optimizer": {"id": "adam"}, "schedule": {"id": "constant", "params": {"lr": 0.1}}, "start": [-1.2, 1.0]},
    {"schedule": {"id": "constant", "params": {"lr": 0.01}}, "start": [-2.0, 2.0]},  # leaves the map at step 1
    {"optimizer": {"id": "lookahead"}, "schedule": {"id": "constant", "params": {"lr": 0.001}},
     "noise": {"std": 2.0, "seed": 1}, "start": [-1.2, 1.0]}]}
INSIDE = {**SCENE, "steps": 40, "internals": True, "runs": [
    *SCENE["runs"], {"optimizer": {"id": "lookahead", "params": {"inner": {"id": "amsgrad"}}}, "start": [-1.2, 1.0],
                     "schedule": {"id": "constant", "params": {"lr": 0.01}}}]}
# Answers that take every branch of the response schemas: runs that end ok, escaped and diverged, nulls for
# "never" and "not finite", Lookahead's fast weights, every basin code, a range test that blows up.
ANSWERS = {
    "catalog": ("GET", "/api/catalog", {}),
    "health": ("GET", "/api/health", {}),
    "mesh": ("GET", "/api/landscapes/{landscape_id}/mesh", {"path_parameters": {"landscape_id": "peaks"},
                                                            "query": {"n": 9}}),
    "mesh of log(x)": ("GET", "/api/landscapes/{landscape_id}/mesh", {"path_parameters": {"landscape_id": "expression"},
                                                                      "query": {"n": 8, "f": "log(x) + y^2"}}),
    "runs": ("POST", "/api/runs", {"body": SCENE}),
    "runs with typed arrays": ("POST", "/api/runs", {"body": SCENE, "query": {"arrays": "bdata"}}),
    "permalink": ("POST", "/api/permalinks", {"body": SCENE}),
    "basins": ("POST", "/api/basins", {"body": {"scene": SCENE, "run": 0, "n": 12}}),
    "sweeps": ("POST", "/api/sweeps", {"body": {"scene": SCENE, "run": 1, "x": {"param": "schedule.params.lr",
                                                "from": 1e-4, "to": 1e-2, "n": 6, "scale": "log"},
                                                "y": {"param": "start.0", "values": [-2.0, 0.0, 1.0]}}}),
    "tune": ("POST", "/api/tune", {"body": {"scene": SCENE, "run": 1, "metric": "steps_to_tolerance", "from": 1e-4,
                                            "to": 1.0, "n": 5}}),
    "range test": ("POST", "/api/range-test", {"body": {"scene": SCENE, "run": 1, "min_lr": 1e-4, "max_lr": 1.0,
                                                        "steps": 300}}),
    "seeds": ("POST", "/api/seeds", {"body": {"scene": SCENE, "run": 2, "seeds": 4}}),
    "stream": ("GET", "/api/runs/stream", {"query": {"s": encode(SCENE)}}),
    "stream with typed arrays": ("GET", "/api/runs/stream", {"query": {"s": encode(SCENE), "arrays": "bdata"}}),
    "runs with internals": ("POST", "/api/runs", {"body": INSIDE}),
    "runs with internals, typed": ("POST", "/api/runs", {"body": INSIDE, "query": {"arrays": "bdata"}}),
    "stream with internals": ("GET", "/api/runs/stream", {"query": {"s": encode(INSIDE)}}),
    "stream with internals, typed": ("GET", "/api/runs/stream", {"query": {"s": encode(INSIDE), "arrays": "bdata"}}),
    "report": ("POST", "/api/report", {"body": SCENE}),
}


def _answer(name: str):
    method, path, parts = ANSWERS[name]
    operation = schema[path][method]
    case = operation.Case(**parts, **({"media_type": "application/json"} if "body" in parts else {}))
    response = case.call()
    assert response.status_code == 200, response.text
    return operation, case, response


def _with_body(response: Response, content: bytes) -> Response:
    """The same answer with another body (headers, status and request kept)."""
    return Response(status_code=response.status_code, headers=response.headers, content=content,
                    request=response.request, elapsed=response.elapsed, verify=response.verify)


@pytest.mark.parametrize("name", ANSWERS)
def test_every_answer_matches_its_documented_schema(name):
    operation, case, response = _answer(name)
    operation.validate_response(response)
    text = response.text
    if name in ("runs", "sweeps", "range test", "stream", "runs with typed arrays", "stream with typed arrays"):
        assert '"diverged"' in text or '"escaped"' in text, "the answer should hold a stopped run"
    if name in ("runs", "basins", "sweeps", "mesh of log(x)"):
        assert "null" in text, "the answer should hold a null"


def test_the_permalinked_scene_matches_its_documented_schema():
    _, _, made = _answer("permalink")
    operation = schema["/api/permalinks/{token}"]["GET"]
    response = operation.Case(path_parameters={"token": made.json()["token"]}).call()
    assert response.status_code == 200
    operation.validate_response(response)


@pytest.mark.parametrize("name, break_it", [
    ("runs", lambda a: a["runs"][0].update(status="lost")),
    ("runs", lambda a: a["runs"][1]["summary"].update(extra=1)),
    ("runs", lambda a: a["runs"][0].update(x="1,2")),
    ("runs with typed arrays", lambda a: a["runs"][0]["x"].update(dtype="f4")),
    ("runs with typed arrays", lambda a: a["runs"][2]["fast_x"].update(bdata="not base64!")),
    ("runs with internals", lambda a: a["runs"][0]["internals"]["state"].update(velocity=[[0.0, 0.0]])),
    ("runs with internals", lambda a: a["runs"][0]["internals"]["gradient"][0].append(1.0)),
    ("runs with internals, typed", lambda a: a["runs"][3]["internals"]["update"].update(shape="40,3")),
    ("basins", lambda a: a["codes"].update(diverged=5)),
    ("basins", lambda a: a["basin"][0].__setitem__(0, None)),
    ("sweeps", lambda a: a["stopped_at"][0].__setitem__(0, -1)),
    ("tune", lambda a: a.update(param="schedule.params.gamma")),
    ("range test", lambda a: a["suggestion"].pop("max_lr")),
    ("seeds", lambda a: a["paths"][0].update(seed="0")),
    ("catalog", lambda a: a["schedules"]["step"]["params"][0].update(kind="complex")),
    ("catalog", lambda a: a["presets"][0]["scene"].update(steps="many")),
    ("health", lambda a: a["loop_lag"].update(max_ms=None)),
])
def test_an_answer_that_breaks_its_schema_is_caught(name, break_it):
    """The documented schemas say something: a changed answer fails them (the fuzzing above relies on that)."""
    operation, case, response = _answer(name)
    answer = response.json()
    break_it(answer)
    with pytest.raises(Exception, match="violates schema|does not match"):
        operation.validate_response(_with_body(response, orjson.dumps(answer)))


def test_a_stream_event_that_breaks_its_schema_is_caught():
    operation, case, response = _answer("stream")
    assert "event: done" in response.text
    for broken_text in [response.text.replace('"status":"escaped"', '"status":"lost"'),
                        response.text.replace('"start_step":0', '"start_step":-1', 1),
                        response.text.replace("event: done", "event: finished")]:
        assert broken_text != response.text
        with pytest.raises(Exception, match="violates schema"):
            operation.validate_response(_with_body(response, broken_text.encode()))


def test_every_json_answer_has_a_schema_with_properties():
    document = create_app(warm_up_scope="off").openapi()
    components = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation["responses"]["200"].get("content", {})
            if "application/json" not in content or "text/event-stream" in content:
                continue  # the stream's events are described in words; the export is a Python file, the report HTML
            reference = content["application/json"]["schema"].get("$ref", "")
            assert reference, f"{method.upper()} {path} answers JSON without a schema"
            assert components[reference.rsplit("/", 1)[-1]]["properties"], f"{method.upper()} {path}"
