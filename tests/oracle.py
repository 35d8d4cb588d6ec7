"""Reading the reference oracles in tests/data/reference (schedules and optimizer steps).

They are numbers from the reference libraries (optax, PyTorch, TensorFlow/Keras); that folder's README says
where each comes from.
"""
from __future__ import annotations

import json
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "data" / "reference"


def load(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


# oracle entry -> (schedule id, our parameters) where the oracle's names or variant differ from the id
RENAMES = {"rel_threshold": "rtol"}
DROP = {"T", "note", "mode", "metric"}


def schedule_case(key: str, entry: dict) -> tuple[str, dict, int]:
    """The schedule id, parameters and T of one oracle entry of schedules.json."""
    params = {RENAMES.get(k, k): v for k, v in entry["params"].items() if k not in DROP}
    steps = int(entry["params"].get("T", 1000))
    variants = {
        "exponential_staircase": "exponential", "natural_exp_staircase": "natural_exp",
        "polynomial_cycle": "polynomial", "cosine_alpha": "cosine", "sgdr_restart_decay": "sgdr",
        "sgdr_tmult": "sgdr", "one_cycle_three_phase": "one_cycle",
        "plateau_flat_metric": "plateau", "plateau_decrease_then_flat": "plateau",
    }
    schedule_id = variants.get(key, key)
    if schedule_id in ("triangular", "triangular2", "sin", "sin2"):
        params.pop("gamma", None)
    if schedule_id == "sinexp" or schedule_id == "exp_range":
        pass
    if schedule_id == "one_cycle":
        params["three_phase"] = bool(params.get("three_phase", False))
        params["anneal_strategy"] = params.pop("anneal", "cos")
    if schedule_id == "sawtooth_espnetv2":
        params["lr"] = params["lr_min"] * params["cycle_len"]  # the reference code's η_max = C·η_min
    if schedule_id == "plateau":
        params["convention"] = "torch"
    if key == "composition_example":
        return "sequence", {"parts": [
            {"schedule": {"id": "linear_warmup", "params": {"lr": 0.1, "init_lr": 0.0, "warmup": 100}}, "steps": 100},
            {"schedule": {"id": "constant", "params": {"lr": 0.1}}, "steps": 300},
            {"schedule": {"id": "exponential", "params": {"lr": 0.1, "decay_rate": 0.5, "decay_steps": 100}}},
        ]}, 1000
    return schedule_id, params, steps
