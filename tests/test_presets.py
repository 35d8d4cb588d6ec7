"""Every preset is a valid scene, and every deterministic claim it makes holds (docs/mathematics.md), computed by the
same engine the page uses. A preset whose claim stops holding fails the build."""
import numpy as np
import pytest

from app.contract.catalog import DEFAULT_SCENE
from app.contract.compute import run_scene
from app.features.presets import FAMILIES, FIVE, PRESETS
from app.contract.scene import normalise
from app.schedules import SCHEDULES

G, L, S = "G", "L", "S"


def computed(preset_id):
    scene = normalise(PRESETS[preset_id].scene)
    return scene, run_scene(scene)


def first(condition):
    hits = np.flatnonzero(condition)
    return int(hits[0]) if hits.size else None


def by_label(scene, results):
    return {run["label"]: result for run, result in zip(scene["runs"], results)}


@pytest.mark.parametrize("preset_id", sorted(PRESETS))
def test_every_preset_is_a_complete_valid_scene_with_an_explanation(preset_id):
    preset = PRESETS[preset_id]
    scene = normalise(preset.scene)
    assert scene["preset"] == preset_id and 1 <= len(scene["runs"]) <= 12
    assert 3 <= len(preset.explanation) <= 6 and preset.title and preset.teaser
    assert len({run["label"] for run in scene["runs"]}) == len(scene["runs"])


def test_canyon_r1_r2_r3_r5_and_clipping():
    scene, results = computed("canyon")
    runs = by_label(scene, results)
    sign_changes = {name: int(np.sum(np.diff(np.sign(np.diff(r.loss[-101:]))) != 0)) for name, r in runs.items()}
    assert sign_changes["constant"] >= 95  # R1: the loss goes up and down at every step
    assert sign_changes["step (×0.5 every T/5)"] == sign_changes["cosine"] == sign_changes["linear warmup + cosine"] == 0
    assert 50 <= sign_changes["SGDR (5 cycles)"] <= 90
    finals = [runs[n].loss[-1] for n in ("constant", "step (×0.5 every T/5)", "SGDR (5 cycles)",
                                         "linear warmup + cosine", "cosine")]
    assert finals == sorted(finals, reverse=True)  # R2
    np.testing.assert_allclose(finals, [0.0824, 0.0702, 0.0682, 0.0655, 0.0624], atol=6e-5)
    below = {n: first(r.loss < 0.1) for n, r in runs.items() if r.status == "ok"}
    assert below["cosine"] == 310 and below["step (×0.5 every T/5)"] == 343  # R3
    assert below["SGDR (5 cycles)"] == 425 and below["constant"] == 392  # R5: SGDR slowest
    assert runs["constant, no clipping"].status != "ok" and runs["constant, no clipping"].stopped_at == 1


def test_peaks_p1_p2():
    scene, results = computed("peaks_momentum")
    names = [r.summary["nearest_minimum"]["name"] for r in results]
    assert names[:5] == [S] * 5  # P1: plain SGD stops in S under every schedule
    assert names[5:] == [G] * 5  # P2: momentum 0.9 reaches G under every schedule
    for start in ([-2.0, 1.0], [-1.5, 1.5]):  # P4: the basin of L keeps every run, even with momentum 0.95
        other = normalise({**PRESETS["peaks_momentum"].scene, "runs": [
            {**run, "start": start, "optimizer": {"id": "momentum", "params": {"momentum": 0.95}}}
            for run in PRESETS["peaks_momentum"].scene["runs"][:5]]})
        assert [r.summary["nearest_minimum"]["name"] for r in run_scene(other)] == [L] * 5


def test_peaks_p3_critical_momentum_as_the_spec_measured_it():
    _, results = computed("peaks_critical")
    assert [r.summary["nearest_minimum"]["name"] for r in results] == [G, G, G, S, S]


@pytest.mark.parametrize("preset_id,yogi_step,lookahead_step,saddle", [
    ("saddle_line", 86, 150, (0.0, 0.0)), ("saddle2_line", 83, 145, (1.0, 0.0))])
def test_saddles_s1_s2_s3(preset_id, yogi_step, lookahead_step, saddle):
    scene, results = computed(preset_id)
    runs = by_label(scene, results)
    for name in ("SGD", "momentum", "Adam", "Yogi, moments start at 0"):
        assert np.all(runs[name].y == 0.0), name  # S1, S2: exactly on the line, every step
    assert np.hypot(runs["SGD"].x[-1] - saddle[0], runs["SGD"].y[-1] - saddle[1]) < 1e-3  # S1: to the saddle
    assert first(np.abs(runs["Yogi"].y) >= 1) == yogi_step  # S2
    assert first(np.abs(runs["Lookahead-Yogi"].y) >= 1) == lookahead_step  # S3


def test_saddle_escape_s4_follows_the_spec_table():
    _, results = computed("saddle_escape")
    assert [first(np.abs(r.y) >= 1) for r in results] == [118, 135, 124, 217, 147]  # constant step cosine SGDR lwarm


def test_plateau_c1_c2_c3_and_reduce_on_plateau():
    scene, results = computed("plateau_cliff")
    runs = dict(zip(list(FIVE) + ["plateau"], results))
    crossing = {name: first(r.loss < 0.5) for name, r in runs.items()}
    assert (crossing["constant"], crossing["cosine"], crossing["warmup_cosine"], crossing["sgdr"]) == (212, 263, 279, 410)
    assert crossing["step"] is None and runs["step"].loss[-1] == pytest.approx(0.994, abs=1e-3)  # C2
    assert runs["constant"].loss[-1] < 1e-3 < runs["cosine"].loss[-1]  # C1: constant ends lowest too
    assert crossing["plateau"] is None and runs["plateau"].lr[-1] < 1e-6  # reduce-on-plateau freezes


def test_quadratic_optimal_rates():
    scene, results = computed("quadratic_rates")
    runs = by_label(scene, results)
    reached = {name: r.summary["steps_to_tolerance"] for name, r in runs.items()}
    assert runs["GD η = 2.02/κ (unstable)"].status != "ok"
    assert reached["heavy ball, optimal"] is not None
    assert (reached["heavy ball, optimal"], reached["GD η = 1/κ"], reached["GD η* = 2/(1+κ)"]) == (52, 218, 286)


def test_adaptive_warmup_radam_leaves_without_warmup():
    scene, results = computed("adaptive_warmup")
    runs = by_label(scene, results)
    assert runs["RAdam"].status == "escaped" and runs["RAdam"].stopped_at == 3
    assert all(runs[n].status == "ok" for n in ("Adam", "AMSGrad", "RAdam + warmup"))


def test_noise_seeds_land_in_different_basins_reproducibly():
    scene, results = computed("noise_seeds")
    names = [r.summary["nearest_minimum"]["name"] for r in results]
    assert len(set(names)) > 1
    assert [r.summary["nearest_minimum"]["name"] for r in run_scene(scene)] == names


def test_cyclical_and_one_cycle_presets_run_to_the_end():
    for preset_id in ("smith_clr", "one_cycle"):
        _, results = computed(preset_id)
        assert all(r.status == "ok" for r in results)
    _, (tri, tri2, exp) = computed("smith_clr")
    assert tri2.lr.max() == tri.lr.max() and tri2.lr[-100:].max() < tri.lr[-100:].max()


def test_families_name_real_schedules():
    assert [f["family"] for f in FAMILIES] == ["constant", "piecewise", "smooth", "cyclical", "warmup"]
    assert all(SCHEDULES[s].family in (f["family"], "warmup") for f in FAMILIES for s in f["schedules"])


def test_warmup_the_default_scene_teaches_one_idea_and_reaches_the_tolerance():
    """The page opens on this scene: one optimizer under three schedules, at least one run reaching the tolerance,
    and every number its explanation quotes."""
    assert DEFAULT_SCENE == PRESETS["warmup"].scene
    scene, results = computed("warmup")
    assert len({run["optimizer"]["id"] for run in scene["runs"]}) == 1
    assert len({run["schedule"]["id"] for run in scene["runs"]}) == 3
    assert [r.summary["steps_to_tolerance"] is not None for r in results] == [False, False, True]
    runs = by_label(scene, results)
    constant, warm, cycle = runs["constant"], runs["warm-up + cosine"], runs["1cycle"]
    assert constant.grad_norm[0] == pytest.approx(400, rel=1e-3) and constant.step_norm[0] == pytest.approx(1.2, rel=1e-3)
    assert (constant.status, constant.stopped_at) == ("escaped", 19)
    assert warm.lr[0] == 0 and warm.lr[33] < 0.002 <= warm.lr[34]
    assert (warm.status, warm.stopped_at) == ("escaped", 39)
    assert cycle.lr[0] == pytest.approx(0.003 / 25) and int(np.argmax(cycle.lr)) == 149
    assert cycle.step_norm[150] < 0.01 < min(constant.step_norm[:18])  # the bouncing has died down
    assert (cycle.x[150], cycle.y[150]) == (pytest.approx(0.85, abs=0.01), pytest.approx(0.72, abs=0.01))
    assert cycle.status == "ok" and cycle.summary["steps_to_tolerance"] == 253


RACE = {  # label -> (status, final loss) at the default rate and tuned, as the texts say
    "fair_race": {"SGD": (("escaped", None), ("ok", 0.06)), "momentum": (("escaped", None), ("ok", 4e-8)),
                  "Adagrad": (("ok", 4.2), ("ok", 5e-4)), "Adam": (("ok", 3.3), ("ok", 4e-6))},
    "fair_race_beale": {"SGD": (("ok", 0.0015), ("ok", 2e-6)), "momentum": (("escaped", None), ("ok", 1e-9)),
                        "Adagrad": (("ok", 18), ("ok", 2e-7)), "Adam": (("ok", 0.25), ("ok", 5e-22))},
}


def _order(results):
    return [name for name, loss in sorted(results.items(), key=lambda item: item[1])]


@pytest.mark.parametrize("preset_id", sorted(RACE))
def test_fair_race_rates_are_the_tuners_and_the_order_changes_as_written(preset_id):
    from app.contract.compute import tune

    scene, results = computed(preset_id)
    racers = len(results) // 2
    at_default, tuned, answers = {}, {}, []
    for i, name in enumerate(RACE[preset_id]):
        answer = tune(scene, i)  # the default-rate run, tuned with the tuner's defaults
        answers.append(answer)
        assert answer["best"] == scene["runs"][racers + i]["schedule"]["params"]["lr"], name
        for result, (status, loss), into in [(results[i], RACE[preset_id][name][0], at_default),
                                             (results[racers + i], RACE[preset_id][name][1], tuned)]:
            assert result.status == status, name
            if loss is not None:
                assert result.summary["final_loss"] == pytest.approx(loss, rel=0.5), name
                into[name] = result.summary["final_loss"]
    if preset_id == "fair_race":
        assert results[0].stopped_at == results[1].stopped_at == 2
        assert _order(at_default) == ["Adam", "Adagrad"]
        assert _order(tuned) == ["momentum", "Adam", "Adagrad", "SGD"]
        for answer in answers[1:3]:  # momentum's and Adagrad's best rate: one sweep step below a rate that stops
            above = answer["values"].index(answer["best"]) + 1
            assert answer["status"][above] != "ok" and answer["scores"][above] is None
    else:
        assert results[1].stopped_at == 8
        assert _order(at_default) == ["SGD", "Adam", "Adagrad"]
        assert _order(tuned) == ["Adam", "momentum", "Adagrad", "SGD"]
