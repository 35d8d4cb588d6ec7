"""The engine as a user meets it: statuses, isolation of runs, no recompilation, chunking, float64, noise."""

import jax
import numpy as np
import pytest

from app.contract.compute import run_scene, stream_scene
from app.engine.trajectories import MIN_CHUNK_STEPS
from app.schedules import SCHEDULES
from conftest import compile_log, make_scene, run


def test_result_arrays_have_the_contract_lengths_and_float64():
    result = run_scene(make_scene("booth", steps=37, runs=[run(lr=0.01, start=(-5, -5))]))[0]
    assert [len(getattr(result, name)) for name in ("x", "y", "loss", "lr", "grad_norm", "step_norm")] == \
        [38, 38, 38, 37, 37, 37]
    assert all(getattr(result, name).dtype == np.float64 for name in ("x", "loss", "lr"))
    assert (result.x[0], result.y[0]) == (-5.0, -5.0)
    assert result.status == "ok" and result.stopped_at is None


def test_a_diverging_run_stops_cleanly_and_leaves_the_others_alone():
    runs = [run(lr=0.01, start=(-1.2, 1.0)), run(lr=0.5, start=(-1.2, 1.0)), run(lr=0.01, start=(-1.2, 1.0))]
    alone = run_scene(make_scene("rosenbrock", steps=300, runs=[runs[0]]))[0]
    first, wild, third = run_scene(make_scene("rosenbrock", steps=300, runs=runs))
    assert wild.status in ("diverged", "escaped") and wild.stopped_at is not None
    assert len(wild.x) == wild.stopped_at and len(wild.lr) == wild.stopped_at - 1
    assert np.all(np.isfinite(wild.x)) and np.all(np.isfinite(wild.loss))
    np.testing.assert_array_equal(first.x, alone.x)
    np.testing.assert_array_equal(third.loss, alone.loss)


def test_a_non_finite_iterate_is_reported_as_diverged():
    """Adam with ε = 0 divides 0 by 0 where a gradient component is exactly 0 (y on the saddle line)."""
    scene = make_scene("saddle1", steps=50, runs=[
        run("adam", lr=0.1, start=(-3.0, 0.0), optimizer_params={"eps": 0.0}),
        run("adam", lr=0.1, start=(-3.0, 0.0))])
    nan, fine = run_scene(scene)
    assert nan.status == "diverged" and nan.stopped_at == 1 and nan.x.tolist() == [-3.0]
    assert fine.status == "ok" and len(fine.x) == 51


def test_a_huge_step_is_reported_as_escaped():
    scene = make_scene("goldstein_price", steps=50, runs=[run(lr=0.01, start=(-1.5, 1.5))])
    result = run_scene(scene)[0]
    assert result.status == "escaped" and result.stopped_at == 1


def test_saddle_escape_is_reported_at_the_floor_or_the_box():
    scene = make_scene("saddle1", steps=500, runs=[run(start=(-3.0, 0.01), lr=0.01), run(start=(-3.0, 0.0), lr=0.01)])
    escaped, stays = run_scene(scene)
    assert escaped.status == "escaped"
    assert escaped.loss[-1] >= -50 and abs(escaped.y[-1]) <= 7
    assert stays.status == "ok" and np.all(stays.y == 0.0)  # S1: y stays exactly 0
    assert stays.summary["nearest_minimum"] is None and stays.summary["steps_to_tolerance"] is None


def test_new_numbers_never_recompile():
    """Learning rate, schedule id and parameters, start, momentum, noise, seed, clipping, landscape parameters:
    once the kernels of a step bucket and run bucket exist, none of these compiles anything."""
    base = [run("momentum", "constant", start=(-1.2, 1.0), lr=1e-3), run("adam", "cosine", lr=1e-2)]
    # warm-up, as the server does at start: the kernels of this bucket (and the noise generator)
    run_scene(make_scene("rosenbrock", steps=400, landscape_params={"b": 50.0},
                         runs=[{**base[0], "noise": {"std": 0.1, "seed": 1}}, base[1]]))
    # a typed schedule compiles once per distinct expression: the variants use the default one
    run_scene(make_scene("rosenbrock", steps=400, runs=[{**base[0], "schedule": {"id": "expression"}}, base[1]]))
    variants = []
    for schedule_id in SCHEDULES:
        params = {"parts": [{"schedule": {"id": "linear_warmup"}, "steps": 30}, {"schedule": {"id": "htd"}}]} \
            if schedule_id == "sequence" else {}
        variants.append(make_scene("rosenbrock", steps=400, runs=[
            {**base[0], "schedule": {"id": schedule_id, "params": params}}, base[1]]))
    variants += [
        make_scene("rosenbrock", steps=400, runs=[run("momentum", "step", start=(0.5, -0.5), lr=3e-3, gamma=0.3,
                                                      optimizer_params={"momentum": 0.5}), base[1]]),
        make_scene("rosenbrock", steps=400, landscape_params={"a": 0.3, "b": 7.0},
                   runs=[{**base[0], "noise": {"std": 2.0, "seed": 99}, "clip_norm": 0.5},
                         run("adam", "sgdr", lr=0.05, T0=33, optimizer_params={"b1": 0.5, "eps": 1e-3})]),
        make_scene("rosenbrock", steps=450, runs=base),  # another step count in the same bucket (512)
    ]
    with compile_log() as messages:
        for scene in variants:
            run_scene(scene)
    assert messages == [], "\n".join(m[:160] for m in messages)


def test_a_new_step_bucket_compiles_and_is_then_reused():
    base = [run("sgd", "constant", lr=1e-3)]
    run_scene(make_scene("booth", steps=3000, runs=base))
    with compile_log() as messages:
        run_scene(make_scene("booth", steps=2500, runs=base))  # same bucket (3072)
        assert messages == []
        run_scene(make_scene("booth", steps=5000, runs=base))  # a new bucket compiles
        assert messages != []


def test_the_server_compiles_the_step_buckets_a_steps_slider_crosses_before_it_moves():
    """A drag of the steps slider compiles nothing in the buckets the warm-up went through (here up to 192)."""
    from app.server.warm_up import warm_step_buckets

    scene = make_scene("himmelblau", steps=50, runs=[run("rmsprop", "cosine", lr=1e-2), run("rmsprop", "step", lr=1e-2)])
    warm_step_buckets(scene, up_to=192)
    with compile_log() as messages:
        for steps in (30, 63, 64, 95, 120, 150, 191):  # iterates in the buckets 64, 96, 128 and 192
            run_scene(make_scene("himmelblau", steps=steps, runs=scene["runs"]))
        assert messages == []
        run_scene(make_scene("himmelblau", steps=300, runs=scene["runs"]))  # beyond: compiles
        assert messages != []


def test_chunked_execution_is_bit_identical_to_one_call():
    scene = make_scene("rosenbrock", steps=700, runs=[
        run("adam", "warmup_cosine", lr=0.05),
        run("momentum", "constant", lr=0.005, start=(-1.2, 1.0)),  # escapes at step 5
        {**run("nesterov", "sgdr", lr=2e-3), "noise": {"std": 0.5, "seed": 4}, "clip_norm": 1.0},
        run("lookahead", "cosine", lr=1e-2, optimizer_params={"inner": {"id": "yogi"}}),
        {**run("sgd", "constant", lr=1e-3), "plateau": {"patience": 3, "factor": 0.5, "rtol": 0.01}},
    ])
    whole = run_scene(scene)
    assert whole[1].stopped_at == 5
    for chunk in (MIN_CHUNK_STEPS, 61, 64, 128, 1000, whole[1].stopped_at):  # the last: a stop at the first
        # iterate after a chunk
        events = list(stream_scene(scene, chunk_steps=chunk))
        done = events[-1]
        assert done["event"] == "done"
        for index, result in enumerate(whole):
            pieces = [e for e in events if e["event"] == "chunk" and e["run"] == index]
            assert [p["start_step"] for p in pieces] == sorted(p["start_step"] for p in pieces)
            for name in ("x", "y", "loss", "lr", "grad_norm", "step_norm"):
                streamed = np.concatenate([p[name] for p in pieces])
                np.testing.assert_array_equal(streamed, getattr(result, name), err_msg=f"{name} chunk={chunk}")
            assert done["runs"][index]["status"] == result.status
            assert done["runs"][index]["stopped_at"] == result.stopped_at
            assert done["runs"][index]["summary"] == result.summary
    assert whole[1].status != "ok"
    with pytest.raises(ValueError, match="chunk_steps"):  # a one-step loop is no loop: XLA compiles it otherwise
        next(stream_scene(scene, chunk_steps=1))


def test_same_scene_same_numbers_and_seeds_matter():
    noisy = {**run("sgd", "constant", lr=1e-3, start=(-1.2, 1.0)), "noise": {"std": 1.0, "seed": 5}}
    scene = make_scene("rosenbrock", steps=200, runs=[noisy, {**noisy, "noise": {"std": 1.0, "seed": 6}}])
    a1, b1 = run_scene(scene)
    a2, _ = run_scene(scene)
    np.testing.assert_array_equal(a1.x, a2.x)
    assert not np.array_equal(a1.x, b1.x)
    clean = run_scene(make_scene("rosenbrock", steps=200, runs=[{**noisy, "noise": {"std": 0.0, "seed": 5}}]))[0]
    assert not np.array_equal(a1.x, clean.x)


def test_a_run_has_the_same_numbers_in_any_company():
    """Grouping and padding do not change a run: alone, among others, in a bigger run bucket, beside runs of its
    optimizer with other hyperparameters (a group of their own, whose scalars are theirs), or in a call where other
    runs add noise or clip (a call without either skips that work: `RunInputs.gradient_work`)."""
    target = run("adam", "cosine", lr=0.02, start=(-1.2, 1.0))
    other_betas = run("adam", "cosine", lr=0.02, start=(-1.2, 1.0), optimizer_params={"b1": 0.5, "b2": 0.99})
    slower_sync = run("lookahead", "constant", lr=0.01, optimizer_params={"sync_period": 3})
    crowd = [run("sgd", "step", lr=1e-3)] * 3 + [target] + [run("adam", "constant", lr=0.01)] * 4 + [
        run("adam", "plateau", lr=0.01), {**run("adam", "cosine", lr=0.01), "plateau": {"patience": 3}},
        other_betas, run("lookahead", "constant", lr=0.01), slower_sync,
        {**run("adam", "constant", lr=0.01), "clip_norm": 0.5}, {**run("adam", "constant", lr=0.01), "noise": {
            "std": 0.5, "seed": 1}}]  # in the target's group
    among = run_scene(make_scene("rosenbrock", steps=300, runs=crowd))
    for index in (3, 10, 11, 12):
        alone = run_scene(make_scene("rosenbrock", steps=300, runs=[crowd[index]]))[0]
        np.testing.assert_array_equal(alone.x, among[index].x)
        np.testing.assert_array_equal(alone.loss, among[index].loss)
    assert not np.array_equal(among[3].x, among[10].x)  # the betas reached their run
    assert not np.array_equal(among[11].x, among[12].x)  # and the sync period its


def test_a_run_has_the_same_records_alone_and_in_a_group_of_more_than_sixteen():
    """XLA:CPU compiles a call of 2-16 runs otherwise than one of 32 or 64 (it fuses other multiply-adds); every
    record of a run on Rosenbrock, the norms included (`step.norm2`), is the same in either, and a clipped run's
    path too. (On peaks the loss still differs in its last bit between the two: noted in issue 17.)"""
    for extra in ({}, {"clip_norm": 0.5}):
        crowd = [{**run("adam", "cosine", lr=0.01, start=(-1.0 + 0.05 * i, 0.5)), **extra} for i in range(20)]
        among = run_scene(make_scene("rosenbrock", steps=300, runs=crowd))[0]
        alone = run_scene(make_scene("rosenbrock", steps=300, runs=crowd[:1]))[0]
        for name in ("x", "y", "loss", "lr", "grad_norm", "step_norm"):
            np.testing.assert_array_equal(getattr(alone, name), getattr(among, name), err_msg=name)


def test_step_norms_are_the_distances_between_recorded_iterates_to_the_bit():
    """‖θ_{k+1} − θ_k‖ as numpy computes it from the recorded iterates: each square rounded, then the sum."""
    result = run_scene(make_scene("peaks", steps=200, runs=[run("momentum", "constant", lr=0.05, start=(0.3, 1.2))]))[0]
    dx, dy = np.diff(result.x), np.diff(result.y)
    np.testing.assert_array_equal(result.step_norm, np.sqrt(dx * dx + dy * dy))


def test_clipping_bounds_every_step():
    scene = make_scene("rosenbrock", steps=100, runs=[{**run("sgd", "constant", lr=0.02, start=(0.0, 3.0)),
                                                      "clip_norm": 1.0}])
    result = run_scene(scene)[0]
    assert result.grad_norm[0] == pytest.approx(600.0033, rel=1e-5)
    assert np.all(result.step_norm <= 0.02 * 1.0 + 1e-15)


def test_survey_canyon_ordering_r2():
    """Claim R2 (docs/mathematics.md): final losses constant 0.0824 > step 0.0702 > SGDR 0.0682 > lwarm 0.0655 > cosine 0.0624."""
    runs = [{**run("sgd", s, lr=0.02, start=(0.0, 3.0)), "clip_norm": 1.0}
            for s in ("constant", "step", "sgdr", "warmup_cosine", "cosine")]
    finals = [r.summary["final_loss"] for r in run_scene(make_scene("rosenbrock", steps=500, runs=runs))]
    assert finals == sorted(finals, reverse=True)
    np.testing.assert_allclose(finals, [0.0824, 0.0702, 0.0682, 0.0655, 0.0624], atol=6e-5)


def test_summary_reports_distance_and_steps_to_tolerance():
    scene = make_scene("peaks", steps=500, runs=[run("momentum", "constant", lr=0.01, start=(0.0, 1.5)),
                                                  run("sgd", "constant", lr=0.01, start=(0.0, 1.5))])
    momentum, plain = run_scene(scene)
    assert momentum.summary["nearest_minimum"]["name"] == "G"  # P2
    assert plain.summary["nearest_minimum"]["name"] == "S"  # P1
    assert plain.summary["steps_to_tolerance"] is None
    reached = momentum.summary["steps_to_tolerance"]
    assert reached is not None and momentum.loss[reached] - (-6.551133) <= 1e-3 + 1e-6
    assert momentum.loss[reached - 1] - (-6.551133) > 1e-3 - 1e-6


def test_the_trajectory_loops_are_compiled_as_one_function():
    """XLA:CPU compiles the run kernel's and the grid kernel's loops whole (`app/__init__.py`), not as one called
    kernel per operation of every step (~3x slower for one run). Should a JAX upgrade drop or rename the option,
    XLA would ignore it silently; this says so. (Asked inside the test: asking JAX for its backend when the module
    is collected would start it before the server tests choose one device per core.)"""
    from app.engine.devices import on_accelerator
    if on_accelerator():
        pytest.skip("an XLA:CPU option: other backends compile otherwise")
    from app.contract.plans import plan_of
    from app.contract.scene import scene_of
    from app.engine import kernels
    from app.engine.grid import final_kernel
    from app.engine.trajectories import _chunk_inputs, group_arrays, groups
    from app.features.cells import one_cell, tiled

    def assert_compiled_whole(program: str):
        loops = program.count(" while(")  # the trajectory loops, with and without plateau
        assert loops >= 2 and program.count('xla_cpu_small_call="true"') == loops  # each compiled as one function

    plan = plan_of(scene_of(make_scene("rosenbrock", steps=50, runs=[run("adam", "cosine", lr=1e-2)])))
    (group, indices), = groups(plan).items()
    size, starts, inputs, seeds, stds = group_arrays(plan, indices)
    length = 64
    state = kernels.init_kernel(group[0], size)(starts, inputs.hyper)
    lr, noise = _chunk_inputs(plan, indices, size, seeds, stds, 0, length)
    advance = kernels.advance_kernel(plan.landscape, group[0], length, size, False)
    assert_compiled_whole(advance.lower(plan.landscape_values, state, inputs, lr, noise, np.asarray(False))
                          .compile().as_text())
    cell, cells = one_cell(plan, 0), 8
    grid = final_kernel(plan.landscape, cell.key, plan.steps, cells, False, False)
    assert_compiled_whole(grid.lower(plan.landscape_values, np.zeros((cells, 2)), tiled(cell.inputs, cells),
                                     np.full(cells, 50.0), cell.learning_rates, cell.noise, np.asarray(False),
                                     np.float64(0.0), np.float64(1e-3)).compile().as_text())


def test_where_each_run_ended_is_read_as_a_step_by_step_walk_would():
    """`run_ends` (the device's reading of whole-run records, and numpy's for a stream) against a walk over the
    steps written from its definition: first stopping iterate from k = 1 (diverged: not finite; escaped: out of the
    box or below the floor), padding columns ignored, best loss and first step within tolerance before the stop."""
    import jax.numpy as jnp
    from landscapes import LANDSCAPES
    from app.engine.stop import STATUS, run_ends, stop_codes

    saddle = LANDSCAPES["saddle1"]  # box [-7, 7]², floor -50
    rng = np.random.default_rng(3)
    runs, length, count, target, tolerance = 12, 40, 33, 0.0, 0.5
    records = {"x": rng.uniform(-3, 3, (runs, length)), "y": rng.uniform(-3, 3, (runs, length)),
               "loss": rng.uniform(1.0, 5.0, (runs, length))}  # above the tolerance
    records["x"][1, 7] = np.nan  # diverged at 7
    records["y"][2, 5], records["loss"][2, 9] = 20.0, np.inf  # escaped at 5, before a divergence
    records["loss"][3, 0] = -80.0  # below the floor at the start: never a stop
    records["loss"][4, 12] = -60.0  # below the floor at 12
    records["x"][5, 35] = np.nan  # in the padding: ignored
    records["loss"][6, 3] = 0.2  # within tolerance at 3
    records["loss"][7, 20], records["x"][7, 15] = 0.1, 9.0  # within tolerance only after its stop
    records["loss"][8, :] = 0.3  # within tolerance from 0

    def walk(row):
        codes = stop_codes(saddle, records["x"][row], records["y"][row], records["loss"][row])
        stop = next((k for k in range(1, count) if codes[k] != 0), None)
        seen = range(stop if stop is not None else count)
        best = min(records["loss"][row][k] for k in seen)
        reached = next((k for k in seen if records["loss"][row][k] - target <= tolerance), -1)
        return (-1 if stop is None else stop), (0 if stop is None else int(codes[stop])), best, reached

    expected = [walk(row) for row in range(runs)]
    assert [STATUS[code] for _, code, _, _ in expected[1:5]] == ["diverged", "escaped", "ok", "escaped"]
    assert expected[6][3] == 3 and expected[7][3] == -1 and expected[8][3] == 0
    device = jax.jit(lambda r: run_ends(saddle, r, count, target, tolerance, xp=jnp))(records)
    with np.errstate(invalid="ignore"):
        host = run_ends(saddle, records, count, target, tolerance)
    for ends in (device, host):
        assert list(zip(*(np.asarray(values).tolist() for values in ends))) == [tuple(e) for e in expected]
