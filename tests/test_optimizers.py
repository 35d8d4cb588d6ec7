"""Every optimizer through the full engine against optax's reference positions, and lookahead against optax."""
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from app.contract.compute import run_scene
from app.optimizers import OPTIMIZERS, lookahead
from conftest import make_scene, run
from oracle import load

ORACLE = load("optimizer_steps.json")
CASES = {key: (key, {}) for key in ORACLE if not key.startswith("_")}
CASES["lookahead_adam"] = ("lookahead", {"inner": {"id": "adam", "params": {}}, "sync_period": 5,
                                         "slow_step_size": 0.5})


@pytest.mark.parametrize("key", sorted(CASES))
def test_optimizer_reproduces_reference_positions(key):
    optimizer_id, params = CASES[key]
    scene = make_scene("rosenbrock", steps=100, runs=[run(optimizer_id, "constant", start=(-1.2, 1.0),
                                                          optimizer_params=params, lr=1e-3)])
    result = run_scene(scene)[0]
    assert result.status == "ok"
    for k, expected in ORACLE[key]["positions"].items():
        np.testing.assert_allclose([result.x[int(k)], result.y[int(k)]], expected, rtol=1e-6, atol=1e-12)


def test_every_optimizer_is_covered_by_the_oracle():
    assert {case[0] for case in CASES.values()} == set(OPTIMIZERS)


@pytest.mark.parametrize("inner", ["sgd", "momentum", "adam", "yogi"])
@pytest.mark.parametrize("sync_period,alpha", [(1, 0.5), (3, 0.8), (5, 0.5), (7, 0.2)])
def test_lookahead_with_traced_sync_period_equals_optax_lookahead(inner, sync_period, alpha):
    f = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    builders = {"sgd": optax.sgd(1e-3), "momentum": optax.sgd(1e-3, momentum=0.9), "adam": optax.adam(1e-2),
                "yogi": optax.yogi(1e-2)}

    def trajectory(tx):
        params = optax.LookaheadParams.init_synced(jnp.array([-1.2, 1.0]))
        state = tx.init(params)
        slows = []
        for _ in range(23):
            updates, state = tx.update(jax.grad(f)(params.fast), state, params)
            params = optax.apply_updates(params, updates)
            slows.append(params.slow)
        return np.stack(slows)

    ours = trajectory(lookahead(builders[inner], jnp.asarray(sync_period), jnp.asarray(alpha)))
    theirs = trajectory(optax.lookahead(builders[inner], sync_period, alpha))
    np.testing.assert_array_equal(ours, theirs)


def test_lookahead_reports_slow_path_and_fast_points():
    scene = make_scene("rosenbrock", steps=20, runs=[run("lookahead", "constant", start=(-1.2, 1.0), lr=1e-3,
                                                         optimizer_params={"inner": {"id": "adam"}})])
    result = run_scene(scene)[0]
    assert result.fast_x is not None and len(result.fast_x) == len(result.x)
    # the slow weights move only at synchronisations (every 5 steps); the fast ones every step
    moved = np.flatnonzero(result.step_norm > 0)
    assert moved.tolist() == [4, 9, 14, 19]
    assert np.all(np.diff(result.fast_x[:5]) != 0)


def test_yogi_initial_accumulator_value_is_exposed():
    """optax starts Yogi's moments at 1e-6, which moves y off an exact saddle line; 0 keeps it there (claim S2)."""
    scene = make_scene("saddle1", steps=200, runs=[
        run("yogi", "constant", start=(-3.0, 0.0), lr=0.01),
        run("yogi", "constant", start=(-3.0, 0.0), lr=0.01, optimizer_params={"initial_accumulator_value": 0.0})])
    default, paper = run_scene(scene)
    assert np.max(np.abs(default.y)) > 1.0
    assert np.all(paper.y == 0.0)


def test_hyperparameters_change_the_trajectory():
    scene = make_scene("rosenbrock", steps=50, runs=[
        run("momentum", "constant", lr=1e-3), run("momentum", "constant", lr=1e-3, optimizer_params={"momentum": 0.5})])
    a, b = run_scene(scene)
    assert not np.allclose(a.x, b.x)


def test_adamw_weight_decay_pulls_the_fixed_point_toward_the_origin():
    scene = make_scene("booth", steps=3000, runs=[
        run("adamw", "cosine", start=(-5, -5), lr=0.05, optimizer_params={"weight_decay": 0.0}),
        run("adamw", "cosine", start=(-5, -5), lr=0.05, optimizer_params={"weight_decay": 0.5})])
    plain, decayed = run_scene(scene)
    assert np.hypot(plain.x[-1] - 1, plain.y[-1] - 3) < 1e-2
    assert np.hypot(decayed.x[-1], decayed.y[-1]) < np.hypot(plain.x[-1], plain.y[-1]) - 0.1
