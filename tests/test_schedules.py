"""Every schedule against the reference oracles, against optax's own builders, and through the engine."""
import numpy as np
import optax
import pytest

from app.contract.compute import run_scene
from app.schedules import SCHEDULES, learning_rate_tables
from app.vocabulary.compile_once import bucket
from conftest import make_scene, run
from app.vocabulary.params import resolve_params
from oracle import load, schedule_case

ORACLE = load("schedules.json")
DETERMINISTIC = [key for key, entry in ORACLE.items()
                 if key not in ("noisy_linear_cosine",) and not key.startswith("plateau_")]


def table(schedule_id, params, steps):
    values = resolve_params(SCHEDULES[schedule_id].params, params, steps) if schedule_id != "sequence" else params
    return learning_rate_tables([(schedule_id, values)], steps)[0]


@pytest.mark.parametrize("key", DETERMINISTIC)
def test_schedule_matches_reference_oracle(key):
    schedule_id, params, steps = schedule_case(key, ORACLE[key])
    if schedule_id == "sequence":
        from app.contract.scene import normalise
        params = normalise({"landscape": {"id": "booth"}, "steps": steps,
                            "runs": [{"schedule": {"id": "sequence", "params": params}}]})["runs"][0]["schedule"]["params"]
    lr = table(schedule_id, params, steps)
    ks = [int(k) for k in ORACLE[key]["values"]]
    expected = [ORACLE[key]["values"][str(k)] for k in ks]
    np.testing.assert_allclose(lr[ks], expected, rtol=1e-6, atol=1e-9)


def test_every_oracle_entry_is_covered():
    covered = {schedule_case(key, entry)[0] for key, entry in ORACLE.items()}
    assert set(SCHEDULES) - {"expression"} == covered, set(SCHEDULES) ^ covered  # expression: test_expression.py


RNG = np.random.default_rng(7)


def random_params(schedule, steps):
    """Random valid values for the numeric parameters of a schedule with an optax equivalent."""
    values = resolve_params(schedule.params, {}, steps)
    for param in schedule.params:
        if param.kind == "float" and param.max is not None and not param.nullable and param.name != "lr":
            lo = param.bound("min", steps) or 0.0
            hi = min(param.bound("max", steps), 10.0)
            values[param.name] = float(RNG.uniform(lo + (hi - lo) * 0.05, hi - (hi - lo) * 0.05))
        elif param.kind == "int" and param.max == "T":
            values[param.name] = int(RNG.integers(1, steps))
        elif param.kind == "bool":
            values[param.name] = bool(RNG.integers(0, 2))
    if "T_mult" in values:  # optax's explicit cycles have whole lengths; the formula also takes TF's real T_mult
        values["T_mult"] = float(RNG.integers(1, 4))
    values["lr"] = float(10 ** RNG.uniform(-4, 0)) if "lr" in values else None
    return {k: v for k, v in values.items() if v is not None or k in ("end_value", "factors")}


WITH_OPTAX = [s.id for s in SCHEDULES.values() if s.optax_fn is not None]


@pytest.mark.parametrize("schedule_id", WITH_OPTAX)
@pytest.mark.parametrize("trial", range(4))
def test_schedule_equals_optax_builder_for_random_parameters(schedule_id, trial):
    schedule, steps = SCHEDULES[schedule_id], 300
    values = random_params(schedule, steps)
    while schedule.check and schedule.check(values, steps):  # draw again until the cross-field rules hold
        values = random_params(schedule, steps)
    reference = schedule.optax_fn(values, steps)
    if reference is None:  # polynomial with cycle: TF semantics, no optax builder
        values["cycle"] = False
        reference = schedule.optax_fn(values, steps)
    expected = np.asarray([float(reference(k)) for k in range(steps)])
    np.testing.assert_allclose(table(schedule_id, values, steps), expected, rtol=1e-9, atol=1e-15)


def test_noisy_linear_cosine_is_seeded_and_matches_the_oracle_statistics():
    schedule_id, params, steps = schedule_case("noisy_linear_cosine", ORACLE["noisy_linear_cosine"])
    draws = np.stack([table(schedule_id, {**params, "seed": seed}, steps) for seed in range(400)])
    same = table(schedule_id, {**params, "seed": 3}, steps)
    np.testing.assert_array_equal(same, draws[3])
    assert not np.array_equal(draws[3], draws[4])
    mean, std = ORACLE["noisy_linear_cosine"]["values"], ORACLE["noisy_linear_cosine"]["std"]
    for k in (50, 99, 100, 250, 500):  # where the clip at 0 is negligible (mean > 2.8 std)
        assert abs(draws[:, k].mean() - mean[str(k)]) < 4 * std[str(k)] / np.sqrt(400)
        assert draws[:, k].std() == pytest.approx(std[str(k)], rel=0.2)
    assert np.all(draws >= 0)
    noiseless = table(schedule_id, {**params, "initial_variance": 0.0}, steps)
    ks = [int(k) for k in mean]
    np.testing.assert_allclose(noiseless[ks], [mean[str(k)] for k in ks], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("key", ["plateau_flat_metric", "plateau_decrease_then_flat"])
@pytest.mark.parametrize("convention", ["torch", "optax"])
def test_plateau_matches_torch_oracle_and_optax_cross_check(key, convention):
    import jax.numpy as jnp
    from app.optimizers import plateau

    entry = ORACLE[key]
    values = entry["values"] if convention == "torch" else next(iter(entry["cross_check"].values()))["values"]
    metric = (lambda k: 1.0) if key == "plateau_flat_metric" else (lambda k: max(1 - 0.01 * k, 0.5))
    options = plateau.plateau_options(factor=0.1, patience=10, rtol=1e-4, convention=convention)
    state, rates = plateau.initial_state(), []
    for k in range(200):
        state, scale = plateau.plateau_step(state, jnp.asarray(metric(k)), options, jnp.asarray(0.1))
        rates.append(0.1 * float(scale))
    ks = [int(k) for k in values]
    np.testing.assert_allclose(np.asarray(rates)[ks], [values[str(k)] for k in ks], rtol=1e-6, atol=1e-9)
    first = entry["first_reduction_step"][convention]
    assert rates[first] < 0.1 and rates[first - 1] == 0.1


def test_plateau_agrees_with_optax_reduce_on_plateau_on_a_trajectory():
    """Through the engine (SGD on the sigmoid plateau) the optax convention equals optax.contrib's transform."""
    import jax
    import jax.numpy as jnp
    from landscapes import LANDSCAPES

    scene = make_scene("sigmoid_cliff", steps=300, runs=[run(
        schedule="plateau", start=(-2.0, -2.0), lr=2.0, factor=0.5, patience=5, rtol=1e-3, convention="optax")])
    ours = run_scene(scene)[0]
    f = lambda p: LANDSCAPES["sigmoid_cliff"].fn(p, scene["landscape"]["params"])
    tx = optax.chain(optax.sgd(2.0), optax.contrib.reduce_on_plateau(factor=0.5, patience=5, rtol=1e-3))
    p = jnp.array([-2.0, -2.0])
    state = tx.init(p)
    xs = [p]
    for _ in range(300):
        loss, g = jax.value_and_grad(f)(p)
        updates, state = tx.update(g, state, p, value=loss)
        p = optax.apply_updates(p, updates)
        xs.append(p)
    np.testing.assert_allclose(np.stack([ours.x, ours.y], 1), np.stack(xs), rtol=1e-12, atol=1e-14)
    assert ours.lr[-1] < 2.0 * 0.5**3  # it did reduce, repeatedly


def test_plateau_freezes_sgd_on_the_sigmoid_plateau():
    """On the sigmoid plateau ReduceLROnPlateau shrinks the rate to ~0 and the iterate never leaves the plateau."""
    scene = make_scene("sigmoid_cliff", steps=500, runs=[
        run(schedule="plateau", start=(-2.0, -2.0), lr=2.0, factor=0.1),
        run(schedule="constant", start=(-2.0, -2.0), lr=2.0)])
    frozen, constant = run_scene(scene)
    assert frozen.lr[-1] < 1e-6
    assert frozen.loss[-1] > 0.99
    assert constant.loss[-1] < 0.01


def test_defaults_written_in_T_use_the_scene_steps():
    scene = make_scene(steps=800, runs=[run(schedule="step"), run(schedule="multistep"), run(schedule="sgdr")])
    params = [r["schedule"]["params"] for r in scene["runs"]]
    assert params[0]["step_size"] == 160
    assert params[1]["milestones"] == [400, 600]
    assert params[2]["T0"] == 160


@pytest.mark.parametrize("steps, milestones", [(1, []), (2, [1]), (3, [2]), (4, [2, 3]), (5, [2, 4]), (8, [4, 6])])
def test_multistep_default_milestones_fit_short_runs(steps, milestones):
    """[T/2, 3T/4] rounded to whole steps inside (0, T), without repeats: a short run with multistep's defaults is
    accepted (T = 2 and 3 gave [1, 1] and [2, 2], refused as not increasing), and its rates are optax's."""
    scene = make_scene(steps=steps, runs=[run(schedule="multistep")])
    params = scene["runs"][0]["schedule"]["params"]
    assert params["milestones"] == milestones
    expected = optax.piecewise_constant_schedule(params["lr"], {t: params["gamma"] for t in milestones})
    table = learning_rate_tables([("multistep", params)], steps)[0]
    np.testing.assert_allclose(table, [expected(k) for k in range(steps)], rtol=1e-15)


def test_sequence_parts_count_their_own_steps_and_T():
    scene = make_scene("quadratic", steps=300, runs=[run(schedule="sequence", parts=[
        {"schedule": {"id": "linear_warmup", "params": {"lr": 0.1}}, "steps": 100},
        {"schedule": {"id": "cosine", "params": {"lr": 0.1}}}])])
    parts = scene["runs"][0]["schedule"]["params"]["parts"]
    assert parts[0]["schedule"]["params"]["warmup"] == 10  # T/10 of its own 100 steps
    assert parts[1]["schedule"]["params"]["decay_steps"] == 200  # T of the last part: the remaining 200
    lr = run_scene(scene)[0].lr
    assert lr[0] == 0.0 and lr[10] == pytest.approx(0.1) and lr[99] == pytest.approx(0.1)
    assert lr[100] == pytest.approx(0.1) and lr[200] == pytest.approx(0.05) and lr[299] < 1e-4


@pytest.mark.parametrize("schedule_id", [s for s in SCHEDULES if s not in ("sequence",)])
def test_engine_reports_the_table_the_optimizer_consumed(schedule_id):
    """SGD on the quadratic: θ_{k+1} = θ_k − η_k ∇f(θ_k), so the reported η_k is the one that moved the iterate."""
    scene = make_scene("quadratic", steps=200, runs=[run(schedule=schedule_id, start=(-2.5, 1.5))])
    result = run_scene(scene)[0]
    schedule = scene["runs"][0]["schedule"]
    if schedule_id != "plateau":
        np.testing.assert_array_equal(result.lr, learning_rate_tables([(schedule["id"], schedule["params"])], 200)[0])
    kappa = scene["landscape"]["params"]["kappa"]
    gradient = np.stack([result.x[:-1], kappa * result.y[:-1]], 1)
    moved = np.stack([result.x[:-1] - result.x[1:], result.y[:-1] - result.y[1:]], 1)
    np.testing.assert_allclose(moved, result.lr[:, None] * gradient, rtol=1e-12, atol=1e-15)


def test_buckets_cover_the_steps():
    assert [bucket(n) for n in (1, 64, 65, 500, 1000, 1025, 20000)] == [64, 64, 96, 512, 1024, 1536, 24576]
