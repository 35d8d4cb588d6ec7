"""Typed landscapes and schedules: the whitelist grammar, hostile input, and use like any built-in."""
import math

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.contract.compute import run_scene
from app.vocabulary.expression import ExpressionError, check, parse
from app.server.factory import create_app
from app.contract.scene import normalise
from app.schedules import learning_rate_tables
from conftest import compile_log


def value(text, **env):
    import jax.numpy as jnp
    return float(parse(text, tuple(env))({k: jnp.asarray(v) for k, v in env.items()}))


@pytest.mark.parametrize("text,expected", [
    ("1 + 2*3", 7.0), ("2^3^2", 512.0), ("-x^2", -4.0), ("(1+x)*(1-x)", -3.0), ("min(x, 3) + max(1, 0)", 3.0),
    ("sigmoid(0) + abs(-2) + floor(2.7) + ceil(2.1)", 7.5), ("pi - e", math.pi - math.e), ("1e-3*1E3", 1.0),
    ("sqrt(x^2)", 2.0), (".5 + 2.", 2.5),
])
def test_the_grammar_computes_what_it_says(text, expected):
    assert value(text, x=2.0) == pytest.approx(expected)


@pytest.mark.parametrize("text,position,words", [
    ("x.__class__", 1, "unexpected character"),
    ("__import__('os').system('ls')", 11, "unexpected character"),  # the first character outside the grammar
    ("().__class__.__bases__", 2, "unexpected character '.'"),
    ("getattr(x, 'y')", 11, "unexpected character"),
    ("getattr(x, y)", 0, "unknown function 'getattr'"),
    ("x[0]", 1, "unexpected character"),
    ("lambda: 1", 6, "unexpected character"),
    ("open", 0, "unknown name 'open'"),
    ("x^1000", 2, "exponent 1000"),
    ("x^-100", 2, "exponent -100"),
    ("1e999", 0, "too large"),
    ("(" * 45 + "x" + ")" * 45, 40, "nested too deeply"),
    ("(" * 499 + "x", 40, "nested too deeply"),
    ("-" * 400 + "x", 40, "nested too deeply"),
    ("x^" * 200 + "2", 81, "nested too deeply"),
    ("x" * 501, 500, "at most 500"),
    ("sin(x, y)", 0, "takes 1 argument"),
    ("x +", 3, "found the end"),
    ("(x", 2, "expected ')'"),
    ("x y", 2, "unexpected 'y'"),
    ("z", 0, "unknown name 'z'"),
    ("", 0, "found the end"),
])
def test_hostile_or_wrong_expressions_are_refused_with_a_position(text, position, words):
    with pytest.raises(ExpressionError) as info:
        check(text, ("x", "y"))
    assert info.value.position == position and words in str(info.value)


def test_many_operations_are_refused():
    with pytest.raises(ExpressionError, match="too many operations"):
        check("+".join(["x"] * 240), ("x",))


def test_a_typed_landscape_runs_like_a_built_in_one_with_autodiff():
    scene = normalise({"landscape": {"id": "expression", "params": {"f": "(x-1)^2 + 10*(y+0.5)^2",
                                                                     "domain": [[-2, 2], [-2, 2]]}},
                       "steps": 300, "runs": [{"start": [-1.5, 1.0], "schedule": {"id": "constant",
                                                                                   "params": {"lr": 0.02}}}]})
    result = run_scene(scene)[0]
    assert result.status == "ok" and abs(result.x[-1] - 1) < 1e-4 and abs(result.y[-1] + 0.5) < 1e-4
    assert result.summary["nearest_minimum"]["x"] == pytest.approx(1.0)  # found by the same Newton search
    np.testing.assert_allclose(result.grad_norm[0], np.hypot(2 * (-2.5), 20 * 1.5))


def test_a_typed_schedule_is_a_schedule_and_works_in_a_sequence():
    scene = normalise({"landscape": {"id": "booth"}, "steps": 400, "runs": [
        {"schedule": {"id": "expression", "params": {"f": "lr * 0.5^floor(k/100)", "lr": 0.01}}},
        {"schedule": {"id": "sequence", "params": {"parts": [
            {"schedule": {"id": "expression", "params": {"f": "lr*(k+1)/T"}}, "steps": 50},
            {"schedule": {"id": "cosine"}}]}}}]})
    step, warm = learning_rate_tables([(r["schedule"]["id"], r["schedule"]["params"]) for r in scene["runs"]], 400)
    np.testing.assert_allclose(step[[0, 99, 100, 399]], [0.01, 0.01, 0.005, 0.00125])
    np.testing.assert_allclose(warm[[0, 49]], [0.01 / 50, 0.01])
    assert run_scene(scene)[1].lr[50] == pytest.approx(0.01)


def test_scene_errors_point_at_the_expression():
    with pytest.raises(ValidationError) as info:
        normalise({"landscape": {"id": "expression", "params": {"f": "x**2", "domain": [[1, 0], [0, 1]]}},
                   "runs": [{"schedule": {"id": "expression", "params": {"f": "exp(k"}}}]})
    errors = {".".join(map(str, e["loc"])): e["msg"] for e in info.value.errors()}
    assert errors["landscape.params.f"] == "position 2: expected a number, a name or '(', found '*'"
    assert "min < max" in errors["landscape.params.domain"]
    assert errors["runs.0.schedule.params.f"] == "position 5: expected ')', found the end"


def test_typed_functions_over_the_api_never_a_500():
    with TestClient(create_app(warm_up_scope="off")) as client:
        for f in ["x.__class__", "(" * 499, "x^99999", "sin(" * 45 + "x" + ")" * 45, "import os", "'; DROP"]:
            answer = client.post("/api/runs", json={"landscape": {"id": "expression", "params": {"f": f}},
                                                    "runs": [{}]})
            assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "f"
        mesh = client.get("/api/landscapes/expression/mesh", params={"f": "x*y", "domain": "-1,1,-2,2", "n": 5})
        assert mesh.status_code == 200 and mesh.json()["z"][0][0] == 2.0
        assert client.get("/api/landscapes/expression/mesh", params={"f": "x.y"}).status_code == 422
        assert client.get("/api/landscapes/expression/mesh", params={"domain": "1,2"}).status_code == 422
        catalog = client.get("/api/catalog").json()
        assert "expression" in catalog["landscapes"] and "expression" in catalog["schedules"]


def test_a_distinct_expression_compiles_once():
    scene = {"landscape": {"id": "expression", "params": {"f": "x^2 + 2*y^2 + 0.3*x*y"}}, "steps": 100,
             "runs": [{"start": [1, 1]}, {"start": [-1, 2]}]}
    run_scene(normalise(scene))
    with compile_log() as messages:
        run_scene(normalise({**scene, "runs": [{"start": [0.5, -1]}, {"start": [2, 2]}]}))
    assert messages == []


def test_named_parameters_are_traced_like_a_built_in_landscapes():
    def scene(a):
        return normalise({"landscape": {"id": "expression", "params": {"f": "a*(x-c)^2 + y^2",
                                                                        "constants": {"a": a, "c": 1.0}}},
                          "steps": 200, "runs": [{"start": [-1, 1], "schedule": {"id": "constant", "params": {"lr": 0.05}}}]})

    first = run_scene(scene(2.0))[0]
    assert abs(first.x[-1] - 1) < 1e-6
    assert first.grad_norm[0] == pytest.approx(np.hypot(2 * 2.0 * (-2), 2))
    with compile_log() as messages:
        second = run_scene(scene(0.5))[0]
    assert messages == [] and second.grad_norm[0] == pytest.approx(np.hypot(2 * 0.5 * (-2), 2))
    for bad, words in [({"x": 1}, "cannot be a name"), ({"sin": 1}, "cannot be a name"), ({"a": "1"}, "finite number"),
                       ({f"k{i}": 1 for i in range(9)}, "at most 8")]:
        with pytest.raises(ValidationError) as info:
            normalise({"landscape": {"id": "expression", "params": {"f": "x", "constants": bad}}, "runs": [{}]})
        assert words in info.value.errors()[0]["msg"]
    with pytest.raises(ValidationError, match="unknown name 'b'"):
        normalise({"landscape": {"id": "expression", "params": {"f": "a*x + b", "constants": {"a": 1}}}, "runs": [{}]})
