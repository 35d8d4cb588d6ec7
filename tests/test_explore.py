"""Basin maps, sweeps, the LR range test and seed bands: checked against individually computed runs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.contract import compute as explore
from app.contract.compute import run_scene
from app.server.factory import create_app
from app.contract.scene import normalise
from app.optimizers.registry import OPTIMIZERS

ROOT = Path(__file__).resolve().parents[1]
PEAKS = normalise({"landscape": {"id": "peaks"}, "steps": 300, "runs": [
    {"optimizer": {"id": "momentum"}, "schedule": {"id": "cosine", "params": {"lr": 0.01}}, "start": [0, 1.5]}]})


def assert_cells_end_like_their_runs(out: dict, row: int, singles: list) -> None:
    """Row `row` of a sweep's answer against the single runs its cells stand for: status and stop step, first
    step within tolerance, and final loss (NaN where the run stopped)."""
    assert [(s.status, s.stopped_at) for s in singles] == list(zip(out["status"][row], out["stopped_at"][row]))
    assert [s.summary["steps_to_tolerance"] for s in singles] == list(out["steps_to_tolerance"][row])  # None: never
    expected = [np.nan if s.stopped_at is not None else s.summary["final_loss"] for s in singles]
    np.testing.assert_allclose(out["final_loss"][row], expected, rtol=1e-9, atol=1e-12)


def test_basin_map_agrees_with_individual_runs_at_sampled_cells():
    n = 24
    grid = explore.basin_map(PEAKS, 0, n)
    names = [m["name"] for m in grid["minima"]]
    rng = np.random.default_rng(1)
    for i, j in rng.integers(0, n, size=(12, 2)):
        start = [float(grid["x"][j]), float(grid["y"][i])]
        single = run_scene(normalise({**PEAKS, "runs": [{**PEAKS["runs"][0], "start": start}]}))[0]
        code = grid["basin"][i][j]
        if single.status != "ok":
            assert code == {"diverged": -1, "escaped": -2}[single.status]
        elif code >= 0:
            assert single.summary["nearest_minimum"]["name"] == names[code]
            assert np.isclose(grid["final_loss"][i][j], single.summary["final_loss"], rtol=1e-9, atol=1e-12)
        assert grid["steps_to_tolerance"][i][j] == single.summary["steps_to_tolerance"]  # None: never
    assert set(np.unique(grid["basin"])) >= {0, 1, 2}  # G, L and S all have a basin


def test_sweep_cells_equal_the_runs_they_stand_for():
    axes = [{"param": "schedule.params.lr", "values": None, "from": 1e-3, "to": 0.05, "n": 5, "scale": "log"},
            {"param": "optimizer.params.momentum", "values": [0.0, 0.9], "from": None, "to": None, "n": 2,
             "scale": "linear"}]
    out = explore.sweep(PEAKS, 0, axes)
    lrs = np.geomspace(1e-3, 0.05, 5)
    assert out["final_loss"].shape == (2, 5)
    for i, momentum in enumerate([0.0, 0.9]):
        singles = [run_scene(normalise({**PEAKS, "runs": [{
            **PEAKS["runs"][0], "optimizer": {"id": "momentum", "params": {"momentum": momentum}},
            "schedule": {"id": "cosine", "params": {"lr": float(lr)}}}]}))[0] for lr in lrs]
        assert_cells_end_like_their_runs(out, i, singles)


@pytest.mark.parametrize("kappa", [5.0, 20.0, 50.0, 200.0])
@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_range_test_finds_the_stability_limit_of_a_quadratic(kappa, mode):
    scene = normalise({"landscape": {"id": "quadratic", "params": {"kappa": kappa, "theta": 0.3}}, "steps": 500,
                       "runs": [{"start": [-2.5, 1.5]}]})
    suggestion = explore.range_test(scene, 0, 1e-4, 1.0, 500, mode)["suggestion"]
    limit = 2 / kappa  # plain GD on a quadratic is stable for η < 2/λ_max
    assert limit / 2 <= suggestion["max_lr"] <= limit * 2
    assert suggestion["base_lr"] == pytest.approx(suggestion["max_lr"] / 4)


def test_seed_bands_summarise_the_seeds():
    scene = normalise({"landscape": {"id": "peaks"}, "steps": 200, "runs": [
        {"noise": {"std": 3.0, "seed": 0}, "schedule": {"id": "constant", "params": {"lr": 0.01}}, "start": [0, 1.5]}]})
    bands = explore.seed_bands(scene, 0, 6)
    singles = [run_scene(normalise({**scene, "runs": [{**scene["runs"][0], "noise": {"std": 3.0, "seed": s}}]}))[0]
               for s in range(6)]
    losses = np.stack([s.loss for s in singles])
    np.testing.assert_allclose(bands["mean_loss"], losses.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bands["std_loss"], losses.std(0), rtol=1e-9, atol=1e-15)
    assert [p["x"][-1] for p in bands["paths"]] == [s.x[-1] for s in singles]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(warm_up_scope="off")) as c:
        yield c


def test_explore_endpoints_and_their_422s(client):
    scene = {"landscape": {"id": "himmelblau"}, "steps": 100, "runs": [{"schedule": {"id": "constant", "params": {"lr": 0.01}}}]}
    basins = client.post("/api/basins", json={"scene": scene, "n": 8})
    assert basins.status_code == 200 and len(basins.json()["basin"]) == 8
    sweep = client.post("/api/sweeps", json={"scene": scene, "x": {"param": "schedule.params.lr", "from": 0.001,
                                                                   "to": 0.02, "n": 4, "scale": "log"}})
    assert sweep.status_code == 200 and len(sweep.json()["final_loss"][0]) == 4
    assert client.post("/api/range-test", json={"scene": scene}).status_code == 200
    noisy = {**scene, "runs": [{**scene["runs"][0], "noise": {"std": 1.0, "seed": 0}}]}
    assert client.post("/api/seeds", json={"scene": noisy, "seeds": 3}).status_code == 200
    bad = [
        ("/api/basins", {"scene": scene, "n": 999}, ["body", "n"]),
        ("/api/basins", {"scene": scene, "run": 3}, ["body", "run"]),
        ("/api/basins", {"scene": {**scene, "steps": 5000}, "n": 256}, ["body", "n"]),
        ("/api/sweeps", {"scene": scene, "x": {"param": "schedule.params.lr", "values": [0.01, 20]}},
         ["body", "x", "values", 1]),
        ("/api/sweeps", {"scene": scene, "x": {"param": "landscape.params.a", "values": [1]}}, ["body", "x", "param"]),
        ("/api/sweeps", {"scene": scene, "x": {"param": "schedule.params.lr"}}, ["body", "x"]),
        ("/api/range-test", {"scene": scene, "min_lr": 0.1, "max_lr": 0.01}, ["body", "max_lr"]),
        ("/api/seeds", {"scene": scene, "seeds": 4}, ["body", "scene", "runs", 0, "noise", "std"]),
    ]
    for path, body, loc in bad:
        answer = client.post(path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert loc in [e["loc"] for e in answer.json()["detail"]], (path, answer.json())


def test_grid_blocks_run_on_every_device_with_identical_results():
    """One CPU device per core (`use_every_core`, here 1 and 2 by OPTISCAPE_CPU_DEVICES): a basin map of several
    blocks (72² cells) on two devices is the same, bit for bit, as on one; so are a sweep of 3 cells with noise,
    clipping and plateau and an Adam basin map of 25 cells (both differed in their last bits while one call
    sharded a block over the devices: XLA compiled other code for each count; `grid.block_size`)."""
    noisy = normalise({"landscape": {"id": "rosenbrock"}, "steps": 120, "runs": [
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 1e-3}},
         "plateau": {"patience": 3, "factor": 0.3, "convention": "optax"}, "clip_norm": 2.0,
         "noise": {"std": 0.5, "seed": 3}, "start": [-1.2, 1.0]}]})
    adam = normalise({"landscape": {"id": "rosenbrock"}, "steps": 120, "runs": [
        {"optimizer": {"id": "adam"}, "schedule": {"id": "constant", "params": {"lr": 1e-3}}}]})
    script = (
        "import json, sys; from app.server.runtime import use_every_core; devices = use_every_core();"
        "from app.contract.scene import normalise; from app.contract import compute as explore;"
        "s = normalise(json.loads(sys.argv[1])); g = explore.basin_map(s, 0, 72);"
        "w = explore.sweep(json.loads(sys.argv[2]), 0, [{'param': 'start.0', 'values': [-1.5, -1.0, 0.5]}]);"
        "a = explore.basin_map(json.loads(sys.argv[3]), 0, 5);"
        "print(json.dumps({'devices': devices, 'basin': g['basin'].tolist(),"
        " 'loss': [repr(v) for v in g['final_loss'].ravel()], 'sweep': [repr(v) for v in w['final_loss'][0]],"
        " 'adam': [repr(v) for v in a['final_loss'].ravel()]}))")
    outputs = []
    for devices in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", script, json.dumps(PEAKS), json.dumps(noisy), json.dumps(adam)],
                              cwd=ROOT,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "OPTISCAPE_CPU_DEVICES": devices})
        assert done.returncode == 0, done.stderr[-2000:]
        outputs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert [o["devices"] for o in outputs] == [1, 2]
    assert outputs[0]["basin"] == outputs[1]["basin"] and outputs[0]["loss"] == outputs[1]["loss"]
    assert outputs[0]["sweep"] == outputs[1]["sweep"] and outputs[0]["adam"] == outputs[1]["adam"]


def test_a_steps_sweep_equals_runs_of_each_length_with_their_own_defaults(client):
    sparse = {"landscape": {"id": "rosenbrock"}, "steps": 300, "runs": [
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "cosine", "params": {"lr": 1e-3}}, "start": [-1.2, 1]}]}
    answer = client.post("/api/sweeps", json={"scene": sparse, "x": {"param": "steps", "values": [50, 200, 400]}})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    for j, steps in enumerate([50, 200, 400]):
        single = run_scene(normalise({**sparse, "steps": steps}))[0]  # cosine's decay_steps = T of that length
        assert np.isclose(out["final_loss"][0][j], single.summary["final_loss"], rtol=1e-9)
    bad = client.post("/api/sweeps", json={"scene": sparse, "x": {"param": "steps", "values": [100, 60000]}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "x", "values", 1]


def test_sweep_cells_stop_where_their_runs_stop():
    scene = normalise({"landscape": {"id": "rosenbrock"}, "steps": 300, "runs": [
        {"schedule": {"id": "constant", "params": {"lr": 1e-3}}, "start": [-1.5, 2.0]}]})
    axes = [{"param": "schedule.params.lr", "values": None, "from": 2e-4, "to": 2e-2, "n": 7, "scale": "log"}]
    out = explore.sweep(scene, 0, axes)
    singles = [run_scene(normalise({**scene, "runs": [{**scene["runs"][0], "schedule": {
        "id": "constant", "params": {"lr": float(lr)}}}]}))[0] for lr in np.geomspace(2e-4, 2e-2, 7)]
    assert_cells_end_like_their_runs(out, 0, singles)
    assert 0 < sum(s.stopped_at is not None for s in singles) < 7  # both kinds of cell were compared


@pytest.mark.parametrize("optimizer", [{"id": "adam"}, {"id": "radam"}, {"id": "yogi"},
                                       {"id": "lookahead", "params": {"inner": {"id": "radam"}}}])
def test_sweep_cells_of_optimizers_with_a_step_count_stop_and_end_like_their_runs(optimizer):
    """Adam's kin count their steps t (bias corrections 1 − β^t; lookahead counts steps since a sync). In the grid
    kernel the count goes on in a cell that stopped, so that it stays one scalar for a whole block: the cells
    that go on in a block where others stopped must still end like their runs (a stopped cell's final loss is
    NaN)."""
    scene = normalise({"landscape": {"id": "saddle1"}, "steps": 300, "runs": [
        {"optimizer": optimizer, "schedule": {"id": "constant", "params": {"lr": 1e-3}}, "start": [1.0, 0.5]}]})
    rates = np.geomspace(1e-2, 3.0, 7)
    out = explore.sweep(scene, 0, [{"param": "schedule.params.lr", "values": [float(lr) for lr in rates]}])
    singles = [run_scene(normalise({**scene, "runs": [{**scene["runs"][0], "schedule": {
        "id": "constant", "params": {"lr": float(lr)}}}]}))[0] for lr in rates]
    assert_cells_end_like_their_runs(out, 0, singles)
    assert 3 <= sum(s.stopped_at is not None for s in singles) < len(rates)  # both kinds of cell were compared


def test_grid_cells_carry_noise_plateau_and_clipping_like_their_runs():
    """The grid kernel gets a run's noise table, reduce-on-plateau options and clipping from the engine's own
    arrays: a cell equals the single run from its start."""
    scene = normalise({"landscape": {"id": "peaks"}, "steps": 400, "runs": [
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.05}},
         "plateau": {"factor": 0.5, "patience": 5}, "noise": {"std": 0.5, "seed": 3}, "clip_norm": 2.0,
         "start": [0.0, 1.5]}]})
    starts = [-1.0, -0.5, 0.0]
    out = explore.sweep(scene, 0, [{"param": "start.0", "values": starts, "from": None, "to": None, "n": 3,
                                    "scale": "linear"}])
    singles = [run_scene(normalise({**scene, "runs": [{**scene["runs"][0], "start": [x0, 1.5]}]}))[0]
               for x0 in starts]
    assert all(single.status == "ok" and single.lr[-1] < 0.05 for single in singles)  # the plateau cut each rate
    np.testing.assert_allclose(out["final_loss"][0], [single.summary["final_loss"] for single in singles],
                               rtol=1e-9, atol=1e-12)
    quiet = explore.sweep({**scene, "runs": [{**scene["runs"][0], "noise": {"std": 0.0, "seed": 3}}]}, 0,
                          [{"param": "start.0", "values": starts, "from": None, "to": None, "n": 3, "scale": "linear"}])
    assert not np.allclose(quiet["final_loss"], out["final_loss"])  # and the noise did move the cells


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_start_and_rate_sweep_cells_of_every_optimizer_end_like_their_runs(optimizer):
    """The grid kernel carries each cell's weights as a pair of coordinates (one array of cells each), which is
    the same arithmetic only for optimizers that treat the coordinates alike and apart: for every one in the
    registry, each cell ends, stops and first reaches the tolerance like the run from its start at its rate.
    (Rates where no cell wanders chaotically: there a rounding difference grows until the paths part. Lookahead
    at a rate of 0.1 or more is such a case here: from x0 = 0.3 a last-bit difference at step 10 is 1e-7 at step
    100 and 0.3 at step 200; it takes 0.05 where the others take 0.25. So is RMSprop at 0.01 and 0.02: from
    x0 = −1.0 a start one ulp away ends 1e-7 relative away; it takes 0.03 where the others take 0.02.)"""
    scene = normalise({"landscape": {"id": "peaks"}, "steps": 200, "runs": [
        {"optimizer": {"id": optimizer}, "schedule": {"id": "constant", "params": {"lr": 0.05}},
         "start": [0.0, -1.0]}]})
    starts = [-2.5, -1.0, 0.3, 1.2, 2.9]
    rates = [0.03 if optimizer == "rmsprop" else 0.02, 0.05 if optimizer == "lookahead" else 0.25]
    out = explore.sweep(scene, 0, [{"param": "start.0", "values": starts},
                                   {"param": "schedule.params.lr", "values": rates}])
    for i, lr in enumerate(rates):
        singles = [run_scene(normalise({**scene, "runs": [{**scene["runs"][0], "start": [x0, -1.0], "schedule": {
            "id": "constant", "params": {"lr": lr}}}]}))[0] for x0 in starts]
        assert_cells_end_like_their_runs(out, i, singles)
    assert any(step is not None for row in out["steps_to_tolerance"] for step in row)  # some cells reach f*
