"""Export as code: running the exported script gives the same trajectories as the engine.

Same to rounding: the script runs scalar code where the engine runs vectorised code, whose last bit can differ;
a chaotic run (RMSprop drifting on a flat region) amplifies that, so the scenes here are not chaotic."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.contract.compute import run_scene
from app.contract.compute import export_script
from app.server.factory import create_app
from app.contract.scene import normalise

ROOT = Path(__file__).resolve().parents[1]

SCENES = {
    "canyon": json.loads((ROOT / "examples" / "canyon.json").read_text()),
    "everything": {"landscape": {"id": "peaks"}, "steps": 250, "runs": [
        {"optimizer": {"id": "nesterov"}, "schedule": {"id": "sgdr", "params": {"lr": 0.01}}, "start": [0, 1.5],
         "noise": {"std": 0.5, "seed": 3}, "clip_norm": 2.0},
        {"optimizer": {"id": "lookahead", "params": {"inner": {"id": "yogi", "params": {"initial_accumulator_value": 0.0}}}},
         "schedule": {"id": "sequence", "params": {"parts": [{"schedule": {"id": "linear_warmup"}, "steps": 40},
                                                             {"schedule": {"id": "htd", "params": {"lr": 0.05}}}]}},
         "start": [-2, 1]},
        {"optimizer": {"id": "adamw", "params": {"weight_decay": 0.01}},
         "schedule": {"id": "expression", "params": {"f": "lr * 0.5^floor(k/50)", "lr": 0.05}}, "start": [1, -1]},
        {"optimizer": {"id": "sgd"}, "schedule": {"id": "plateau", "params": {"lr": 0.02, "convention": "optax",
                                                                               "patience": 5, "rtol": 0.01}},
         "start": [2.5, -2]},
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.5}}, "start": [0, 1]},
    ]},
    "ackley": {"landscape": {"id": "ackley"}, "steps": 100, "runs": [{"optimizer": {"id": "adam"},
                                                                      "schedule": {"id": "cosine", "params": {"lr": 0.1}}}]},
    "typed": {"landscape": {"id": "expression", "params": {"f": "sin(x)*cos(y) + w*(x^2+y^2) - max(x, 0)^2/9",
                                                           "constants": {"w": 0.1},
                                                           "domain": [[-3, 3], [-2, 2]]}},
              "steps": 200, "runs": [{"optimizer": {"id": "momentum"}, "schedule": {"id": "one_cycle", "params": {"max_lr": 0.05}},
                                      "start": [1, 1]}]},
}


def exported_trajectories(scene, tmp_path) -> list:
    """Write the scene's script, run it in a fresh interpreter, and read back its trajectories."""
    script = tmp_path / "scene.py"
    script.write_text(export_script(scene))
    dump = tmp_path / "points.json"
    done = subprocess.run([sys.executable, "-c", f"import json, runpy; ns = runpy.run_path({str(script)!r});"
                           f"json.dump([t.tolist() for t in ns['trajectories']], open({str(dump)!r}, 'w'))"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(dump.read_text())


@pytest.mark.parametrize("name", sorted(SCENES))
def test_the_exported_script_reproduces_the_runs(name, tmp_path):
    scene = normalise(SCENES[name])
    exported = exported_trajectories(scene, tmp_path)
    for result, points in zip(run_scene(scene), exported):
        points = np.asarray(points)[:len(result.x)]  # past a stop the engine reports nothing
        np.testing.assert_allclose(points[:, 0], result.x, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(points[:, 1], result.y, rtol=1e-9, atol=1e-12)


def test_the_script_runs_standalone_and_prints_each_run(tmp_path):
    script = tmp_path / "canyon.py"
    script.write_text(export_script(normalise(SCENES["canyon"])))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and done.stdout.count("final point") == 5 and "constant:" in done.stdout


def test_a_label_cannot_inject_code(tmp_path):
    scene = normalise({"landscape": {"id": "booth"}, "steps": 5, "runs": [
        {"label": "'}]\nimport os; os.system('echo PWNED') #"}]})
    script = tmp_path / "s.py"
    script.write_text(export_script(scene))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "PWNED" not in done.stdout.replace("echo PWNED", "")


def test_both_plateau_conventions_are_reproduced(tmp_path):
    scene = normalise({"landscape": {"id": "sigmoid_cliff"}, "steps": 200, "runs": [
        {"schedule": {"id": "plateau", "params": {"lr": 2.0, "factor": 0.5, "patience": 5, "rtol": 1e-3}},
         "start": [-2, -2]},
        {"schedule": {"id": "cosine", "params": {"lr": 2.0}}, "start": [-2, -2],
         "plateau": {"convention": "optax", "patience": 4, "rtol": 1e-3}}]})
    exported = exported_trajectories(scene, tmp_path)
    results = run_scene(scene)
    assert results[0].lr[-1] < 2.0  # the plateau did reduce the rate
    for result, points in zip(results, exported):
        np.testing.assert_allclose(np.asarray(points)[:len(result.x)], np.stack([result.x, result.y], 1),
                                   rtol=1e-9, atol=1e-12)


def test_export_endpoint_and_cli(tmp_path):
    with TestClient(create_app(warm_up_scope="off")) as client:
        answer = client.post("/api/export", json=SCENES["canyon"])
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/x-python")
        assert "optax.sgd(lr)" in answer.text
        bad = client.post("/api/export", json={"landscape": {"id": "booth"}, "runs": [{"plateau": {"patience": 0}}]})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "runs", 0, "plateau", "patience"]
    done = subprocess.run([sys.executable, "-m", "app.cli", "export", "examples/canyon.json", "--out",
                           str(tmp_path / "c.py")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "import optax" in (tmp_path / "c.py").read_text()


def test_the_script_runs_the_engines_own_step_and_plateau():
    """The script is made from the engine's definitions: its step and reduce-on-plateau are copied verbatim."""
    from app.engine import step
    from app.features.export import module_body
    from app.optimizers import plateau

    script = export_script(normalise(SCENES["canyon"]))
    assert module_body(step) in script and module_body(plateau) in script
    assert "def trajectory_step(" in module_body(step) and "def plateau_step(" in module_body(plateau)


def test_every_optimizer_with_every_option_is_reproduced(tmp_path):
    """Every optimizer (lookahead over several), each with clipping, gradient noise and reduce-on-plateau in both
    conventions (as a run option and as the plateau schedule): the script's trajectories equal the engine's."""
    from app.optimizers import OPTIMIZERS
    from app.schedules import learning_rate_tables

    adaptive = {"adagrad", "rmsprop", "adam", "adamw", "amsgrad", "yogi", "radam", "adabelief"}
    runs = []
    for i, optimizer in enumerate(o for o in OPTIMIZERS if o != "lookahead"):
        lr = 0.3 if optimizer in adaptive else 0.02
        runs.append({"optimizer": {"id": optimizer}, "schedule": {"id": "cosine", "params": {"lr": lr}},
                     "clip_norm": 5.0, "noise": {"std": 0.5, "seed": i},
                     "plateau": {"patience": 5, "factor": 0.7, "rtol": 0.02,
                                 "convention": ("torch", "optax")[i % 2]}})
    for inner, convention in [("sgd", "torch"), ("adam", "optax"), ("yogi", "torch")]:
        runs.append({"optimizer": {"id": "lookahead", "params": {"inner": {"id": inner}, "sync_period": 4}},
                     "schedule": {"id": "plateau", "params": {"lr": 0.3 if inner != "sgd" else 0.02, "patience": 5,
                                                              "factor": 0.7, "rtol": 0.02, "convention": convention}},
                     "clip_norm": 5.0, "noise": {"std": 0.5, "seed": 7}})
    scene = normalise({"landscape": {"id": "booth"}, "steps": 200, "runs": [{**r, "start": [-5, -5]} for r in runs]})
    results = run_scene(scene)
    assert {r["optimizer"]["id"] for r in scene["runs"]} == set(OPTIMIZERS)
    scheduled = learning_rate_tables([(r["schedule"]["id"], r["schedule"]["params"]) for r in scene["runs"]], 200)
    cut = [bool(np.any(result.lr < rates * 0.99)) for result, rates in zip(results, scheduled)]
    assert sum(cut) >= len(results) - 2, cut  # reduce-on-plateau did act on (nearly) every run
    exported = exported_trajectories(scene, tmp_path)
    for run, result, points in zip(scene["runs"], results, exported):
        assert result.status == "ok", run["label"]
        np.testing.assert_allclose(np.asarray(points), np.stack([result.x, result.y], 1), rtol=1e-9, atol=1e-12,
                                   err_msg=run["label"])
