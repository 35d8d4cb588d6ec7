"""Scene validation as a user meets it: every error names the field and the allowed range; defaults filled."""
import pytest
from pydantic import ValidationError

from app.contract.scene import error_lines, normalise
from app.vocabulary.limits import LIMITS, MAX_RUN_STEPS, MAX_STEPS


def errors_of(data) -> dict:
    with pytest.raises(ValidationError) as info:
        normalise(data)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in info.value.errors()}


def scene(**overrides):
    return {"landscape": {"id": "rosenbrock"}, "steps": 500, "runs": [{}], **overrides}


def test_defaults_are_filled_and_normalising_twice_changes_nothing():
    once = normalise(scene(runs=[{"optimizer": {"id": "lookahead"}, "schedule": {"id": "warmup_cosine"}}]))
    assert once["version"] == 1 and once["tolerance"] == 1e-3
    run = once["runs"][0]
    assert run["optimizer"]["params"] == {"inner": {"id": "sgd", "params": {}}, "sync_period": 5,
                                          "slow_step_size": 0.5}
    assert run["schedule"]["params"] == {"lr": 0.01, "warmup": 50, "init_lr": 0.0, "end_lr": 0.0}
    assert run["start"] == (-2.0, 2.0) and run["colour"] == "#1f77b4" and run["label"] == "lookahead + warmup_cosine"
    assert normalise(once) == once


@pytest.mark.parametrize("data,field,words", [
    (scene(runs=[{"schedule": {"id": "cosine", "params": {"lr": 20}}}]), "runs.0.schedule.params.lr", "(0, 10]"),
    (scene(runs=[{"schedule": {"id": "step", "params": {"step_size": 900}}}]), "runs.0.schedule.params.step_size",
     "[1, 500]"),
    (scene(runs=[{"schedule": {"id": "cosine", "params": {"lrr": 0.1}}}]), "runs.0.schedule.params.lrr",
     "unknown parameter"),
    (scene(runs=[{"schedule": {"id": "cosinus"}}]), "runs.0.schedule.id", "unknown schedule"),
    (scene(runs=[{"optimizer": {"id": "adam", "params": {"b1": 1.0}}}]), "runs.0.optimizer.params.b1", "[0, 1)"),
    (scene(runs=[{"optimizer": {"id": "adamax"}}]), "runs.0.optimizer.id", "unknown optimizer"),
    (scene(landscape={"id": "rosenbrock", "params": {"a": 5}}), "landscape.params.a", "[-1.7, 1.7]"),
    (scene(landscape={"id": "moon"}), "landscape.id", "unknown landscape"),
    (scene(runs=[{"start": [9, 0]}]), "runs.0.start", "twice the plot domain"),
    (scene(steps=0), "steps", "greater than or equal to 1"),
    (scene(steps=MAX_STEPS + 1), "steps", str(MAX_STEPS)),
    (scene(runs=[{}] * 65), "runs", "at most 64"),
    (scene(steps=20000, runs=[{}] * 21), "steps", str(MAX_RUN_STEPS)),
    (scene(runs=[{"clip_norm": 0}]), "runs.0.clip_norm", "greater than 0"),
    (scene(runs=[{"noise": {"std": -1}}]), "runs.0.noise.std", "greater than or equal to 0"),
    (scene(runs=[{"colour": "red"}]), "runs.0.colour", "pattern"),
    (scene(runs=[{"speed": 3}]), "runs.0.speed", "Extra inputs are not permitted"),
    (scene(version=7), "version", "less than or equal to 1"),
    (scene(runs=[{"schedule": {"id": "multistep", "params": {"milestones": [300, 200]}}}]),
     "runs.0.schedule.params.milestones", "strictly increasing"),
    (scene(runs=[{"schedule": {"id": "triangular", "params": {"max_lr": 0.1, "base_lr": 0.2}}}]),
     "runs.0.schedule.params.base_lr", "at most max_lr"),
    (scene(runs=[{"schedule": {"id": "plateau", "params": {"rtol": 0}}}]), "runs.0.schedule.params.rtol",
     "must be positive"),
    (scene(runs=[{"plateau": {"patience": 0}}]), "runs.0.plateau.patience", "[1, 100000]"),
    (scene(runs=[{"optimizer": {"id": "lookahead", "params": {"inner": {"id": "lookahead"}}}}]),
     "runs.0.optimizer.params.inner", "id one of sgd"),
    (scene(runs=[{"schedule": {"id": "sequence", "params": {"parts": [
        {"schedule": {"id": "constant"}, "steps": 600}, {"schedule": {"id": "cosine"}}]}}}]),
     "runs.0.schedule.params.parts.0.steps", "[1, 499]"),
    (scene(runs=[{"schedule": {"id": "sequence", "params": {"parts": [
        {"schedule": {"id": "constant"}, "steps": 100}, {"schedule": {"id": "cosine", "params": {"alpha": 2}}}]}}}]),
     "runs.0.schedule.params.parts.1.schedule.params.alpha", "[0, 1)"),
    (scene(runs=[{"schedule": {"id": "sequence", "params": {"parts": [{"schedule": {"id": "plateau"}}]}}}]),
     "runs.0.schedule.params.parts.0.schedule.id", "cannot be a part"),
    (scene(runs=[{"start": [float("nan"), 0]}]), "runs.0.start.0", "finite"),
])
def test_bad_input_names_the_field_and_the_allowed_range(data, field, words):
    errors = errors_of(data)
    assert field in errors, errors
    assert words in errors[field]


def test_every_problem_is_reported_at_once():
    errors = errors_of(scene(runs=[{"schedule": {"id": "cosine", "params": {"lr": -1}}},
                                   {"optimizer": {"id": "adam", "params": {"b2": 2}}}]))
    assert set(errors) == {"runs.0.schedule.params.lr", "runs.1.optimizer.params.b2"}


def test_error_lines_read_as_one_line_each():
    with pytest.raises(ValidationError) as info:
        normalise(scene(runs=[{"schedule": {"id": "cosine", "params": {"lr": 20}}}]))
    assert error_lines(info.value) == ["runs.0.schedule.params.lr: must be in (0, 10], got 20"]


def test_the_documented_limits():
    assert LIMITS == {"max_steps": 50000, "max_runs": 64, "max_run_steps": 400000, "max_sequence_parts": 8,
                      "max_label_length": 80, "max_internals_run_steps": 100000, "max_basin_n": 256,
                      "max_grid_cells_x_steps": 65536000,
                      "max_sweep_axis_values": 64, "max_tune_n": 64, "max_seeds": 64, "max_range_test_steps": 20000}


def test_a_version_1_scene_stays_readable():
    assert normalise({"version": 1, "landscape": {"id": "peaks"}, "runs": [{}]})["landscape"]["id"] == "peaks"
