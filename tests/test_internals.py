"""A scene's `internals`: every update's gradient, step and optimizer state, equal to optax's own update loop run
here, independently of the engine, for every optimizer, with clipping, noise and reduce-on-plateau on."""
import base64
import typing

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from fastapi.testclient import TestClient

from app.contract.answers import StateField
from app.contract.compute import run_scene, stream_scene
from app.contract.permalink import encode
from app.optimizers import resolve_optimizer
from app.server.factory import create_app
from app.vocabulary.limits import MAX_INTERNALS_RUN_STEPS
from optimizers_and_schedules import ALL_OPTIMIZERS

# optax's names, written out: which fields each optimizer's state has
FIELDS = {"sgd": set(), "momentum": {"trace"}, "nesterov": {"trace"}, "adagrad": {"sum_of_squares"},
          "rmsprop": {"nu"}, "adam": {"mu", "nu"}, "adamw": {"mu", "nu"}, "amsgrad": {"mu", "nu", "nu_max"},
          "yogi": {"mu", "nu"}, "radam": {"mu", "nu"}, "adabelief": {"mu", "nu"}}
CASES = {**{name: {} for name in FIELDS},
         "lookahead_momentum": {"inner": {"id": "momentum"}, "sync_period": 3},
         "lookahead_amsgrad": {"inner": {"id": "amsgrad"}, "sync_period": 4, "slow_step_size": 0.7}}
RATES = {"sgd": 1e-3, "momentum": 5e-4, "nesterov": 5e-4, "adagrad": 0.05}  # others: 0.02
STEPS, CLIP, STD, SEED = 40, 60.0, 3.0, 7


def _yogi(learning_rate, b1, b2, eps, initial_accumulator_value):
    return optax.chain(optax.scale_by_yogi(b1, b2, eps, initial_accumulator_value=initial_accumulator_value),
                       optax.scale_by_learning_rate(learning_rate))


def optax_of(optimizer_id: str, p: dict) -> optax.GradientTransformation:
    """optax's own optimizer, its rate injected (a hyperparameter set before each update)."""
    if optimizer_id == "lookahead":
        return optax.lookahead(optax_of(p["inner"]["id"], p["inner"]["params"]), p["sync_period"],
                               p["slow_step_size"])
    if optimizer_id in ("momentum", "nesterov"):
        return optax.inject_hyperparams(optax.sgd, static_args=("nesterov",))(
            learning_rate=1.0, momentum=p["momentum"], nesterov=optimizer_id == "nesterov")
    factory = _yogi if optimizer_id == "yogi" else getattr(optax, optimizer_id)
    return optax.inject_hyperparams(factory)(learning_rate=1.0, **p)


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def optax_loop(start, optimizer_id, params, rates):
    """Gradients, steps and named state fields of optax's update loop: g + std·ξ_k, clipped by global norm."""
    lookahead = optimizer_id == "lookahead"
    tx = optax_of(optimizer_id, params)
    theta = optax.LookaheadParams.init_synced(jnp.asarray(start)) if lookahead else jnp.asarray(start)
    state = tx.init(theta)
    clip = optax.clip_by_global_norm(CLIP)
    names = FIELDS[params["inner"]["id"]] if lookahead else FIELDS[optimizer_id]
    out = {"gradient": [], "update": [], "state": {name: [] for name in names | ({"slow"} if lookahead else set())}}
    for k, rate in enumerate(rates):
        at = theta.fast if lookahead else theta
        g = jax.grad(rosenbrock)(at)
        xi = jax.random.normal(jax.random.fold_in(jax.random.key(SEED), k), (2,), dtype=jnp.float64)
        clipped, _ = clip.update(g + STD * xi, optax.EmptyState())
        state = optax.tree_utils.tree_set(state, learning_rate=jnp.asarray(rate))
        updates, state = tx.update(clipped, state, theta)
        theta = optax.apply_updates(theta, updates)
        out["gradient"].append(g)
        out["update"].append((theta.fast if lookahead else theta) - at)
        for name in out["state"]:
            out["state"][name].append(theta.slow if name == "slow" else optax.tree_utils.tree_get(state, name))
    return out


def scene_of(case: str, internals=True) -> dict:
    optimizer_id = "lookahead" if case.startswith("lookahead") else case
    return {"landscape": {"id": "rosenbrock"}, "steps": STEPS, "internals": internals, "runs": [{
        "optimizer": {"id": optimizer_id, "params": CASES[case]},
        "schedule": {"id": "constant", "params": {"lr": RATES.get(case, 0.02)}}, "start": [-1.2, 1.0],
        "clip_norm": CLIP, "noise": {"std": STD, "seed": SEED},
        "plateau": {"patience": 2, "factor": 0.5, "rtol": 0.05, "cooldown": 0}}]}


def test_every_optimizer_has_its_fields_listed_and_documented():
    assert set(FIELDS) | {"lookahead"} == ALL_OPTIMIZERS
    assert set().union(*FIELDS.values(), {"slow"}) == set(typing.get_args(StateField))


@pytest.mark.parametrize("case", sorted(CASES))
def test_internals_equal_optax_own_update_loop(case):
    scene = scene_of(case)
    result = run_scene(scene)[0]
    assert result.status == "ok"
    assert len(set(result.lr.tolist())) > 1, "the plateau should lower the rate during the run"
    assert np.max(result.grad_norm) > CLIP, "clipping should act"
    run = scene["runs"][0]
    params = resolve_optimizer(run["optimizer"]["id"], run["optimizer"]["params"])
    expected = optax_loop(run["start"], run["optimizer"]["id"], params, result.lr)
    inside = result.internals
    assert set(inside["state"]) == set(expected["state"])
    for name in ("gradient", "update"):
        assert inside[name].shape == (STEPS, 2)
        np.testing.assert_allclose(inside[name], np.stack(expected[name]), rtol=1e-9, atol=1e-12, err_msg=name)
    for name, values in inside["state"].items():
        assert values.shape == (STEPS, 2)
        np.testing.assert_allclose(values, np.stack(expected["state"][name]), rtol=1e-9, atol=1e-12, err_msg=name)
    # the step reported is the step taken, and the run's gradient norm is that gradient's (√(g_x² + g_y²), which
    # XLA may compute with a fused multiply-add: to the last bit)
    np.testing.assert_allclose(np.linalg.norm(inside["gradient"], axis=1), result.grad_norm, rtol=2.5e-16, atol=0)
    if not case.startswith("lookahead"):
        np.testing.assert_allclose(inside["update"], np.diff(np.stack([result.x, result.y], axis=1), axis=0),
                                   rtol=0, atol=0)


def test_without_internals_nothing_is_added():
    result = run_scene(scene_of("adam", internals=False))[0]
    assert result.internals is None and "internals" not in result.as_dict()
    client = TestClient(create_app(warm_up_scope="off"))
    answer = client.post("/api/runs", json={k: v for k, v in scene_of("adam").items() if k != "internals"}).json()
    assert "internals" not in answer["scene"] and "internals" not in answer["runs"][0]


def test_internals_end_where_the_run_stopped_and_streams_carry_the_same():
    scene = {"landscape": {"id": "rosenbrock"}, "steps": 100, "internals": True, "runs": [
        {"optimizer": {"id": "adam"}, "schedule": {"id": "constant", "params": {"lr": 0.05}}},
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.01}}}]}  # escapes
    whole = run_scene(scene)
    assert whole[1].status == "escaped" and len(whole[1].internals["gradient"]) == len(whole[1].lr)
    chunks = {0: [], 1: []}
    for event in stream_scene(scene, chunk_steps=32):
        if event["event"] == "chunk":
            assert len(event["internals"]["update"]) == len(event["lr"])
            chunks[event["run"]].append(event["internals"])
    for index, result in enumerate(whole):
        for name in ("gradient", "update"):
            np.testing.assert_array_equal(np.concatenate([c[name] for c in chunks[index]]), result.internals[name])
        for name, values in result.internals["state"].items():
            np.testing.assert_array_equal(np.concatenate([c["state"][name] for c in chunks[index]]), values)


def _decoded(typed: dict) -> np.ndarray:
    rows, columns = (int(n) for n in typed["shape"].split(","))
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype="<f8").reshape(rows, columns)


def test_typed_arrays_and_streams_carry_internals():
    client = TestClient(create_app(warm_up_scope="off"))
    scene = scene_of("lookahead_amsgrad")
    plain = client.post("/api/runs", json=scene).json()["runs"][0]["internals"]
    typed = client.post("/api/runs?arrays=bdata", json=scene).json()["runs"][0]["internals"]
    assert set(plain["state"]) == set(typed["state"]) == {"mu", "nu", "nu_max", "slow"}
    np.testing.assert_array_equal(_decoded(typed["gradient"]), plain["gradient"])
    np.testing.assert_array_equal(_decoded(typed["state"]["nu_max"]), plain["state"]["nu_max"])
    stream = client.get("/api/runs/stream", params={"s": encode(scene), "arrays": "bdata"}).text
    assert '"internals":{"gradient":{"dtype":"f8"' in stream and '"shape":"40,2"' in stream


def test_internals_over_their_limit_is_a_422_naming_the_field():
    client = TestClient(create_app(warm_up_scope="off"))
    steps = MAX_INTERNALS_RUN_STEPS // 4 + 1
    scene = {"landscape": {"id": "booth"}, "steps": steps, "internals": True, "runs": [{}] * 4}
    response = client.post("/api/runs", json=scene)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "internals"] and str(MAX_INTERNALS_RUN_STEPS) in error["msg"]
    assert client.post("/api/permalinks", json={**scene, "internals": False}).status_code == 200  # valid without
