"""Same scene, same numbers, whatever the code's layout: every preset, every example, the default scene and a
scene with every per-run option, computed through the HTTP API and compared bit for bit with a recording.

`tests/data/same_numbers.json` holds the requests (the scenes as written, so a later edit of a preset does not
silently change what is compared) and SHA-256 digests (16 hex digits) of the answers: for `POST /api/runs`, of
the exact float64 bytes of every array of every run and of its status, stopped_at and summary; for the explore
endpoints, of the whole answer (orjson writes every float in its shortest round-trip form, so equal text is
equal bits). It was recorded before the backend was reorganised into layers (commit 914a787's code), and
`python tests/test_same_numbers.py --record` rewrites it; do that only for a deliberate change of the numbers.
Re-recorded once since, the requests unchanged: on an AMD EPYC with AVX2 only, six of the runs' digests differed
from the recording (made where XLA:CPU used AVX-512), so the code is now capped at AVX2 on every x86-64 machine
(`app/__init__.py`); at the same time the grid kernel's new layout moved basin and sweep numbers by rounding.
Re-recorded again, the requests unchanged, when the run kernel stopped computing the gradient and step norms
inside its loop (`kernels.derived_records`): XLA then fuses the loop otherwise and contracts other multiply-adds,
so trajectories moved by rounding (at most 1e-10 relative over these scenes; statuses and stop steps unchanged),
and the gradient norm is the recomputed gradient's. Re-recorded a third time, the requests unchanged, when XLA:CPU
began compiling each trajectory loop as one function (`app/__init__.py`), the run kernel stopped unrolling its
loop and recorded the gradient and step norms in it again (the gradient norm is the step's own gradient's once
more), and a call without noise or clipping stopped computing them (`kernels.RunInputs.gradient_work`):
trajectories moved by rounding (at most 1.4e-10 relative, in preset smith_clr), statuses, stop steps and steps
to tolerance unchanged; near a minimum, losses moved by up to 1e-20 absolute and gradient norms by up to
3e-14 (peaks' gradient there is a difference of terms of size ~10); one cell's final loss in the sweep "start and
clipping" by 3e-8 relative. Grids moved again in their last bits when a grid's blocks stopped depending on the
number of devices (`grid.block_size`: before, one and two devices computed other bits for small grids and for
Adam's basin maps). Re-recorded for three cases, the requests and every trajectory unchanged, when the Newton
search for critical points stopped calling LAPACK (`landscapes.critical_points.solve_2x2`): OpenBLAS picks its
kernels by CPU, and a machine where it chose Haswell kernels found other last bits (subnormal residues) for the
nearest minimum in summaries and basin maps than one where it chose SkylakeX kernels, so this test failed on one
of them; the minima moved by at most one ulp (and a subnormal became 0). Re-recorded, the requests unchanged, when
the gradient and step norms stopped being fused multiply-adds in the code XLA:CPU makes for 2-16 runs
(`app.engine.step.norm2`): norms moved in their last bit, clipped runs by up to 2e-15 relative (the canyon
preset), the LR range test's losses by up to 7e-9 and the noisy seeds' by 1.2e-10 relative; no status, stop step
or step to tolerance changed.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from app.server.factory import create_app  # noqa: E402

RECORDING = Path(__file__).parent / "data" / "same_numbers.json"
RUN_ARRAYS = ("x", "y", "loss", "lr", "grad_norm", "step_norm", "fast_x", "fast_y")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def run_digests(run: dict) -> dict:
    """One digest per array (its float64 bytes) and one for how the run ended."""
    out = {name: digest(np.asarray(run[name], dtype=np.float64).tobytes()) for name in RUN_ARRAYS if name in run}
    end = {"status": run["status"], "stopped_at": run["stopped_at"], "summary": run["summary"]}
    out["end"] = digest(orjson.dumps(end, option=orjson.OPT_SORT_KEYS))
    return out


def answer_digests(client: TestClient, path: str, body: dict):
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    if path == "/api/runs":
        return [run_digests(run) for run in answer["runs"]]
    return digest(orjson.dumps(answer, option=orjson.OPT_SORT_KEYS))


# ---- what is recorded (used only by --record; the test reads the requests back from the recording) ----

def _options_scene() -> dict:
    """Every per-run option and both typed kinds: plateau in both conventions and as a schedule, clipping, noise,
    lookahead, a sequence, a typed schedule, and runs that diverge and escape."""
    return {"landscape": {"id": "rosenbrock"}, "steps": 300, "runs": [
        {"optimizer": {"id": "adam"}, "schedule": {"id": "cosine", "params": {"lr": 0.05}},
         "plateau": {"patience": 5, "factor": 0.5, "rtol": 0.01, "convention": "torch"}},
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 1e-3}},
         "plateau": {"patience": 3, "factor": 0.3, "rtol": 0.01, "cooldown": 2, "accumulation_size": 2,
                     "min_scale": 0.05, "convention": "optax"},
         "clip_norm": 2.0, "noise": {"std": 0.5, "seed": 3}},
        {"optimizer": {"id": "sgd"}, "schedule": {"id": "plateau", "params": {"lr": 1e-3, "patience": 4,
                                                                           "min_lr": 1e-4}}},
        {"optimizer": {"id": "lookahead", "params": {"inner": {"id": "adam", "params": {"b1": 0.8}},
                                                     "sync_period": 4}},
         "schedule": {"id": "sequence", "params": {"parts": [
             {"schedule": {"id": "linear_warmup", "params": {"lr": 0.05}}, "steps": 50},
             {"schedule": {"id": "cosine", "params": {"lr": 0.05}}}]}},
         "plateau": {"patience": 10, "convention": "optax"}, "noise": {"std": 0.1, "seed": 9}},
        {"optimizer": {"id": "nesterov"}, "schedule": {"id": "expression",
                                                      "params": {"f": "lr * 0.5^floor(k/60)", "lr": 2e-3}},
         "clip_norm": 5.0},
        {"optimizer": {"id": "sgd"}, "schedule": {"id": "constant", "params": {"lr": 0.5}},
         "start": [-1.2, 1.0]},  # diverges
        {"optimizer": {"id": "rmsprop"}, "schedule": {"id": "constant", "params": {"lr": 3.0}}},  # escapes
    ]}


def _typed_landscape_scene() -> dict:
    return {"landscape": {"id": "expression", "params": {"f": "a*(x^2 + 3*y^2) + sin(x*y)",
                                                         "constants": {"a": 0.7}}},
            "steps": 200, "runs": [{"optimizer": {"id": "adagrad"}, "schedule": {"id": "cosine",
                                                                                "params": {"lr": 0.3}}},
                                   {"optimizer": {"id": "yogi"}, "schedule": {"id": "sgdr",
                                                                             "params": {"lr": 0.1}},
                                    "start": [1.0, -2.0]}]}


def _diverging_scene() -> dict:
    """A run whose loss overflows: exp(x⁴) at x = 5 is finite, one step later it is not."""
    return {"landscape": {"id": "expression", "params": {"f": "exp(x^4) + y^2", "domain": [[-6, 6], [-6, 6]]}},
            "steps": 20, "runs": [{"start": [5.0, 1.0], "schedule": {"id": "constant", "params": {"lr": 0.01}}},
                                  {"start": [1.0, 1.0], "schedule": {"id": "constant", "params": {"lr": 0.01}}}]}


def cases() -> list[dict]:
    from app.contract.catalog import DEFAULT_SCENE
    from app.features.presets import PRESETS

    root = Path(__file__).resolve().parents[1]
    runs = [("default scene", DEFAULT_SCENE)]
    runs += [(f"example {path.stem}", json.loads(path.read_text()))
             for path in sorted((root / "examples").glob("*.json"))]
    runs += [(f"preset {preset_id}", preset.scene) for preset_id, preset in sorted(PRESETS.items())]
    options, typed = _options_scene(), _typed_landscape_scene()
    diverging = _diverging_scene()
    runs += [("every option", options), ("typed landscape", typed), ("diverges", diverging)]
    out = [{"name": name, "path": "/api/runs", "body": scene} for name, scene in runs]
    short = {**options, "steps": 120}
    out += [
        {"name": "basins, lookahead with plateau and noise", "path": "/api/basins",
         "body": {"scene": short, "run": 3, "n": 5}},
        {"name": "basins, default scene", "path": "/api/basins", "body": {"scene": DEFAULT_SCENE, "run": 2, "n": 4}},
        {"name": "basins, typed landscape", "path": "/api/basins", "body": {"scene": typed, "run": 0, "n": 4}},
        {"name": "basins, overflowing", "path": "/api/basins", "body": {"scene": diverging, "run": 1, "n": 5}},
        {"name": "sweep, plateau optax, clipping, noise", "path": "/api/sweeps",
         "body": {"scene": short, "run": 1, "x": {"param": "schedule.params.lr", "values": [5e-4, 2e-3]},
                  "y": {"param": "noise.std", "values": [0.0, 1.0]}}},
        {"name": "sweep, lookahead inner parameter", "path": "/api/sweeps",
         "body": {"scene": short, "run": 3, "x": {"param": "optimizer.params.inner.params.b1", "values": [0.5, 0.9]}}},
        {"name": "sweep, steps of a sequence", "path": "/api/sweeps",
         "body": {"scene": short, "run": 3, "x": {"param": "steps", "values": [80, 120]}}},
        {"name": "sweep, start and clipping", "path": "/api/sweeps",
         "body": {"scene": short, "run": 4, "x": {"param": "start.0", "from": -1.5, "to": 1.5, "n": 3},
                  "y": {"param": "clip_norm", "values": [0.5, 5.0]}}},
        {"name": "range test", "path": "/api/range-test",
         "body": {"scene": short, "run": 0, "min_lr": 1e-4, "max_lr": 1.0, "steps": 100}},
        {"name": "range test, linear", "path": "/api/range-test",
         "body": {"scene": short, "run": 1, "min_lr": 1e-5, "max_lr": 0.1, "steps": 60, "mode": "linear"}},
        {"name": "seeds", "path": "/api/seeds", "body": {"scene": short, "run": 1, "seeds": 3}},
        {"name": "tune, plateau, clipping, noise", "path": "/api/tune",
         "body": {"scene": short, "run": 1, "metric": "steps_to_tolerance", "from": 1e-4, "to": 0.1, "n": 5}},
    ]
    return out


def record() -> None:
    with TestClient(create_app(warm_up_scope="off")) as client:
        recorded = [{**case, "digests": answer_digests(client, case["path"], case["body"])} for case in cases()]
    RECORDING.parent.mkdir(exist_ok=True)
    about = orjson.dumps(__doc__.split("\n\n")[1].replace("\n", " ").strip())
    lines = b",\n".join(orjson.dumps(case) for case in recorded)  # one case a line: small, and diffs by case
    RECORDING.write_bytes(b'{"about": ' + about + b',\n"cases": [\n' + lines + b"\n]}\n")


RECORDED = orjson.loads(RECORDING.read_bytes())["cases"] if RECORDING.exists() else []


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(warm_up_scope="off")) as c:
        yield c


@pytest.mark.parametrize("case", RECORDED, ids=[case["name"] for case in RECORDED])
def test_the_numbers_are_those_recorded(client, case):
    assert answer_digests(client, case["path"], case["body"]) == case["digests"]


def test_the_recording_covers_every_preset_and_example():
    from app.features.presets import PRESETS

    names = {case["name"] for case in RECORDED}
    examples = {f"example {p.stem}" for p in (Path(__file__).resolve().parents[1] / "examples").glob("*.json")}
    assert {f"preset {p}" for p in PRESETS} | examples | {"default scene", "every option"} <= names


if __name__ == "__main__" and "--record" in sys.argv:
    record()
    print(f"wrote {RECORDING}")
