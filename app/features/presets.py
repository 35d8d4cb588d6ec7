"""Teaching presets: the survey's section 4.1 experiments (docs/mathematics.md) and classic demos, one click each.

Each preset is a full scene plus a title and a short explanation (what to watch, why it happens, what to try
next). `tests/test_presets.py` checks every deterministic claim a preset makes through the same engine the page
uses, so a preset whose claim stops holding fails the build.

Example:
    >>> PRESETS["saddle_line"].scene["landscape"]["id"]
    'saddle1'
"""
from __future__ import annotations

from dataclasses import dataclass

FIVE = ("constant", "step", "cosine", "sgdr", "warmup_cosine")  # the survey's five schedules (docs/mathematics.md)
SURVEY_NAMES = {"constant": "constant", "step": "step (×0.5 every T/5)", "cosine": "cosine", "sgdr": "SGDR (5 cycles)",
                "warmup_cosine": "linear warmup + cosine"}


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    teaser: str
    explanation: tuple[str, ...]  # 3 to 6 sentences
    claims: str  # what it shows: claim ids of docs/mathematics.md (R1-R6, P1-P4, S1-S4, C1-C3) or the ids it is about
    scene: dict

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "teaser": self.teaser, "explanation": list(self.explanation),
                "claims": self.claims, "scene": self.scene}


def _run(label, optimizer="sgd", schedule="constant", start=(0.0, 0.0), optimizer_params=None, **extra):
    schedule_params = extra.pop("schedule_params", {})
    return {"label": label, "optimizer": {"id": optimizer, "params": optimizer_params or {}},
            "schedule": {"id": schedule, "params": schedule_params}, "start": list(start), **extra}


def _scene(preset_id, landscape, runs, steps=500, landscape_params=None):
    return {"version": 1, "preset": preset_id, "landscape": {"id": landscape, "params": landscape_params or {}},
            "steps": steps, "runs": runs}


def _five(optimizer, lr, start, optimizer_params=None, prefix="", **extra):
    return [_run(f"{prefix}{SURVEY_NAMES[s]}", optimizer, s, start, optimizer_params, schedule_params={"lr": lr}, **extra)
            for s in FIVE]


SADDLE_OPTIMIZERS = [("SGD", "sgd", {}), ("momentum", "momentum", {}), ("Adam", "adam", {}), ("Yogi", "yogi", {}),
                     ("Lookahead-Yogi", "lookahead", {"inner": {"id": "yogi", "params": {}}}),
                     ("Yogi, moments start at 0", "yogi", {"initial_accumulator_value": 0.0})]

WARMUP_START = (0.0, 2.0)

# A fair race: each optimizer at the page's default rate, then at the rate `tune η` picks for it (POST /api/tune with
# its defaults: final loss over 25 rates from 1e-5 to 10, log-spaced); the rates below are the tuner's answers.
RACERS = (("SGD", "sgd"), ("momentum", "momentum"), ("Adagrad", "adagrad"), ("Adam", "adam"))
DEFAULT_RATE = 0.01
TUNED_RATES = {
    "rosenbrock": {"sgd": 0.0031622776601683794, "momentum": 0.0031622776601683794, "adagrad": 1.7782794100389228,
                   "adam": 1.0},
    "beale": {"sgd": 0.03162277660168379, "momentum": 0.005623413251903491, "adagrad": 1.7782794100389228,
              "adam": 0.5623413251903491},
}


def _race(preset_id: str, landscape: str, start: tuple[float, float]) -> dict:
    """The four racers at the default rate, then the same four at their tuned rates (constant schedules)."""
    at_default = [_run(f"{label}, η = {DEFAULT_RATE:g}", optimizer, "constant", start,
                       schedule_params={"lr": DEFAULT_RATE}) for label, optimizer in RACERS]
    tuned = [_run(f"{label} tuned, η = {TUNED_RATES[landscape][optimizer]:.2g}", optimizer, "constant", start,
                  schedule_params={"lr": TUNED_RATES[landscape][optimizer]}) for label, optimizer in RACERS]
    return _scene(preset_id, landscape, at_default + tuned)

ALL = (
    Preset(
        "warmup", "Warm-up: one peak rate, three fates", "a constant rate flies off the wall, a slow warm-up does not",
        ("Momentum (β = 0.9) from (0, 2) on Rosenbrock, three times with the same peak rate η = 0.003: only the "
         "schedule differs.",
         "At the constant rate the first step is 1.2 long (the gradient there has norm 400): the iterate bounces "
         "from wall to wall of the valley and leaves the map at step 19.",
         "Linear warm-up + cosine starts at 0 and passes 0.002 at step 34, while the iterate is still bouncing "
         "across the valley: it leaves the map at step 39.",
         "1cycle starts at η/25 and reaches η only at step 149; by step 150 the bouncing has died down and the "
         "iterate is far along the valley, near (0.85, 0.72): it gets within the tolerance at step 253.",
         "Try next: drag the 1cycle rate up, or the warm-up length, and find where the same peak stops being safe."),
        "constant, warmup_cosine, one_cycle", _scene("warmup", "rosenbrock", [
            _run("constant", "momentum", "constant", WARMUP_START, schedule_params={"lr": 0.003}),
            _run("warm-up + cosine", "momentum", "warmup_cosine", WARMUP_START, schedule_params={"lr": 0.003}),
            _run("1cycle", "momentum", "one_cycle", WARMUP_START, schedule_params={"max_lr": 0.003})]),
    ),
    Preset(
        "canyon", "Canyon: five schedules on Rosenbrock", "constant bounces between the walls, decay settles",
        ("Watch the loss trace of the constant rate: in the last hundred steps it goes up and down at every step, "
         "because the iterate bounces from one wall of the curved valley to the other.",
         "The decaying schedules shrink the step below the valley's stability limit (η < 2/λ_max, about 0.002 "
         "near the minimum) and end nearer the optimum: constant 0.082 > step 0.070 > SGDR 0.068 > warmup+cosine "
         "0.066 > cosine 0.062.",
         "SGDR oscillates too, while its restarted rate is high.",
         "Every run clips the gradient to norm 1, as jettify's reference script does: the last run shows the same "
         "constant rate without clipping, whose first step from (0, 3), with a gradient of norm 600, leaves the map.",
         "Try next: start at (−2, 2) with 1000 steps and η = 0.04, and SGDR comes first: the ranking is not robust."),
        "R1-R6", _scene("canyon", "rosenbrock", _five("sgd", 0.02, (0.0, 3.0), clip_norm=1.0) + [
            _run("constant, no clipping", "sgd", "constant", (0.0, 3.0), schedule_params={"lr": 0.02})]),
    ),
    Preset(
        "peaks_momentum", "Local minima: momentum is crucial", "plain SGD stops in the shallow dimple, momentum does not",
        ("From (0, 1.5) every plain SGD run ends in the shallow minimum S (f = −0.065), whatever its schedule: the "
         "gradient points straight into the nearest basin and nothing carries the iterate out.",
         "With momentum 0.9 the same five schedules all reach the global minimum G (f = −6.55): the velocity built "
         "on the way down carries the iterate over the ridge.",
         "The start matters as much: from (−2, 1) or (−1.5, 1.5), in the basin of L, every run stays at L, even "
         "with momentum 0.95.",
         "Try next: click the landscape to move the starts, or lower the momentum until some runs stop at S."),
        "P1, P2, P4", _scene("peaks_momentum", "peaks", _five("sgd", 0.01, (0.0, 1.5), prefix="SGD, ") +
                             _five("momentum", 0.01, (0.0, 1.5), prefix="momentum 0.9, ")),
    ),
    Preset(
        "peaks_critical", "Local minima: the critical momentum", "at momentum 0.8 the schedule decides",
        ("At momentum 0.8 from (0, 1.5) with η = 0.01 the escape is marginal: constant, step and cosine reach G, "
         "SGDR and warmup+cosine stop at S.",
         "Escape happens in the first tens of steps, so schedules with a low early rate (a warmup, the short first "
         "SGDR cycle) fail first.",
         "The survey says constant and cosine escape while step, SGDR and warmup stay; this is only partly "
         "reproduced, and it is fragile: at 0.85 only warmup+cosine fails, and step fails only from the flat corner "
         "(2.5, −2) at 0.75.",
         "Try next: change the momentum of all runs between 0.6 and 0.9 and watch which schedules still escape."),
        "P3", _scene("peaks_critical", "peaks", _five("momentum", 0.01, (0.0, 1.5), {"momentum": 0.8})),
    ),
    Preset(
        "saddle_line", "Saddles: who leaves the line y = 0", "only Yogi escapes, and why that is an artefact",
        ("On x² − y² from (−3, 0) the y-gradient is exactly zero on the line y = 0, so SGD, momentum and Adam "
         "slide to the saddle (0, 0) and stay there: y is 0.0 at every step.",
         "Yogi leaves the line (|y| ≥ 1 at step 86) and so does Lookahead over Yogi (step 150).",
         "This is not a property of Yogi's update rule: optax starts Yogi's moments at 1e−6 instead of 0, which "
         "gives y a tiny push that the unstable direction amplifies.",
         "The last run is the same Yogi with its moments starting at 0, as in the paper: it stays on the line.",
         "Try next: move a start to y = 0.001 and every optimizer escapes."),
        "S1, S2, S3", _scene("saddle_line", "saddle1", [
            _run(label, opt, "constant", (-3.0, 0.0), params, schedule_params={"lr": 0.01})
            for label, opt, params in SADDLE_OPTIMIZERS]),
    ),
    Preset(
        "saddle2_line", "Saddles: the survey's x³ − 3x − 2y²", "SGD converges to the saddle (1, 0)",
        ("From (2, 0) plain SGD converges to the saddle point (1, 0), f = −2, and y stays exactly 0.",
         "Momentum and Adam do the same; Yogi leaves at step 83 and Lookahead-Yogi at step 145, because optax "
         "starts Yogi's moments at 1e−6.",
         "With the moments starting at 0 Yogi stays on the line too: the survey's 'Yogi escapes saddles' is an "
         "initialisation artefact.",
         "Try next: perturb the starts to (2, 0.01) and compare the escape steps."),
        "S1, S2, S3", _scene("saddle2_line", "saddle2", [
            _run(label, opt, "constant", (2.0, 0.0), params, schedule_params={"lr": 0.01})
            for label, opt, params in SADDLE_OPTIMIZERS]),
    ),
    Preset(
        "saddle_escape", "Saddles: escape time follows the cumulative rate", "y_k = y_0·Π(1 + 4η_i)",
        ("From (2, 0.01) on x³ − 3x − 2y² every schedule escapes, at different times: constant at step 118, cosine "
         "124, step 135, warmup+cosine 147, SGDR 217.",
         "Near the saddle y grows like y_k = y_0·Π(1 + 4η_i), so what sets the escape time is the sum of the rates "
         "so far, not the schedule's shape.",
         "Step decay is slowest once its first drop comes before the escape; with γ = 0.1 it never escapes from "
         "y_0 ≤ 0.01.",
         "Try next: set y_0 to 0.1 or 0.001, or η to 0.05, where all escape before the first drop."),
        "S4", _scene("saddle_escape", "saddle2", _five("sgd", 0.01, (2.0, 0.01))),
    ),
    Preset(
        "plateau_cliff", "Plateau and cliff: constant crosses first", "small or decaying rates crawl on the plateau",
        ("On the sigmoid plateau from (−2, −2) the gradient is about 6e−4, so the distance covered per step is "
         "proportional to η: the constant rate reaches loss 0.5 first (step 212), then cosine (263), "
         "warmup+cosine (279) and SGDR (410).",
         "Step decay halves its rate every 100 steps and never leaves the plateau (loss 0.994 at the end).",
         "The last run reduces the rate on plateau: per-step improvements are below its tolerance, so it cuts the "
         "rate again and again and freezes where it is.",
         "Try next: the bowl variant (ε = 0.002, k = 3) gives the plateau a way down, and step decay gets off it."),
        "C1, C2, C3", _scene("plateau_cliff", "sigmoid_cliff", _five("sgd", 2.0, (-2.0, -2.0)) + [
            _run("reduce on plateau", "sgd", "plateau", (-2.0, -2.0), schedule_params={"lr": 2.0, "factor": 0.1})]),
    ),
    Preset(
        "quadratic_rates", "Ill-conditioned quadratic: the optimal rates", "heavy ball beats the best plain GD",
        ("On ½(u² + κv²) with κ = 100, plain gradient descent is stable only for η < 2/κ = 0.02: the last run, at "
         "η = 0.0202, leaves the map.",
         "The 'optimal' plain rate η* = 2/(1 + κ) ≈ 0.0198 makes both directions shrink by the same factor, "
         "(κ−1)/(κ+1) = 0.98 per step; η = 1/κ kills the steep direction in one step and shrinks the flat one by "
         "0.99, so from this start it reaches the tolerance first (step 218 against 286): the steep direction counts "
         "κ times more in the loss.",
         "Heavy ball with η = 4/(1 + √κ)² and β = ((√κ − 1)/(√κ + 1))² shrinks the error by about 0.82 per step and "
         "gets there in 52 steps.",
         "Try next: change κ or rotate the axes with θ, and recompute the optimal rates."),
        "quadratic", _scene("quadratic_rates", "quadratic", [
            _run("GD η = 1/κ", "sgd", "constant", (-1.0, 1.0), schedule_params={"lr": 0.01}),
            _run("GD η* = 2/(1+κ)", "sgd", "constant", (-1.0, 1.0), schedule_params={"lr": 2 / 101}),
            _run("heavy ball, optimal", "momentum", "constant", (-1.0, 1.0), {"momentum": (9 / 11) ** 2},
                 schedule_params={"lr": 4 / 121}),
            _run("GD η = 2.02/κ (unstable)", "sgd", "constant", (-1.0, 1.0), schedule_params={"lr": 0.0202}),
        ], steps=300, landscape_params={"kappa": 100.0, "theta": 0.5}),
    ),
    Preset(
        "smith_clr", "Cyclical rates: triangular, triangular2, exp_range", "Smith's three policies",
        ("Smith's cyclical rates move between a base and a maximum: triangular keeps the amplitude, triangular2 "
         "halves it every cycle, exp_range multiplies it by γ^k.",
         "High phases let momentum SGD travel along the valley; low phases let it settle, so the loss drops in "
         "steps that follow the cycles.",
         "The shrinking variants end lower here because they spend their last cycles at small rates.",
         "Try next: raise max_lr until the high phases become unstable, which is how Smith's range test picks it."),
        "triangular, triangular2, exp_range", _scene("smith_clr", "rosenbrock", [
            _run(s, "momentum", s, (-1.2, 1.0), schedule_params={"base_lr": 1e-4, "max_lr": 2e-3, "step_size": 50})
            for s in ("triangular", "triangular2", "exp_range")]),
    ),
    Preset(
        "one_cycle", "1cycle against warmup + cosine", "two shapes of one idea",
        ("1cycle (Smith & Topin) warms up for 30% of the run from max_lr/25 to max_lr, then anneals to "
         "max_lr/25/10⁴; linear warmup + cosine warms up for 10% from 0.",
         "Both start small so that the first, largest gradients do not throw the iterate away, then spend most of "
         "the run decaying.",
         "A constant rate at the same peak is shown for reference.",
         "Try next: switch 1cycle to three_phase with linear annealing, the paper's original shape."),
        "one_cycle, warmup_cosine", _scene("one_cycle", "rosenbrock", [
            _run("1cycle", "momentum", "one_cycle", (-1.2, 1.0), schedule_params={"max_lr": 2e-3}),
            _run("warmup + cosine", "momentum", "warmup_cosine", (-1.2, 1.0), schedule_params={"lr": 2e-3}),
            _run("constant", "momentum", "constant", (-1.2, 1.0), schedule_params={"lr": 2e-3})]),
    ),
    Preset(
        "adaptive_warmup", "Adam, AMSGrad and RAdam's first steps", "why RAdam wants a warmup here",
        ("With η = 0.01 from (−1.2, 1) Adam and AMSGrad take steps of size about η from the start.",
         "RAdam's variance rectification is undefined for its first steps (ρ_t < 5 with β2 = 0.999), so it takes "
         "plain momentum steps on the raw gradient, here of norm 230: it leaves the map at step 3.",
         "A linear warmup over the first 50 steps keeps those raw steps small and RAdam then behaves.",
         "Try next: lower η to 0.005, where RAdam's raw first steps stay on the map and it ends lowest."),
        "radam", _scene("adaptive_warmup", "rosenbrock", [
            _run("Adam", "adam", "constant", (-1.2, 1.0), schedule_params={"lr": 0.01}),
            _run("AMSGrad", "amsgrad", "constant", (-1.2, 1.0), schedule_params={"lr": 0.01}),
            _run("RAdam", "radam", "constant", (-1.2, 1.0), schedule_params={"lr": 0.01}),
            _run("RAdam + warmup", "radam", "linear_warmup", (-1.2, 1.0), schedule_params={"lr": 0.01})]),
    ),
    Preset(
        "noise_seeds", "Gradient noise: one configuration, several seeds", "the seed decides the basin",
        ("Six runs with the same rate and the same Gaussian gradient noise (σ = 6), differing only by the seed.",
         "Without noise this start ends in the shallow minimum S; with noise some seeds are kicked over into the "
         "basin of L and others settle in S.",
         "Noisy runs are reproducible: the same seed gives the same path, which is what makes a permalink of a "
         "noisy scene meaningful.",
         "Try next: vary σ, or add momentum, and count how many seeds reach the global minimum G."),
        "noise", _scene("noise_seeds", "peaks", [
            {**_run(f"seed {seed}", "sgd", "constant", (0.0, 1.5), schedule_params={"lr": 0.01}),
             "noise": {"std": 6.0, "seed": seed}} for seed in range(6)]),
    ),
)

ALL += (
    Preset(
        "fair_race", "A fair race: each optimizer at its own tuned rate", "one shared rate decides the race, not "
        "the optimizer",
        ("SGD, momentum, Adagrad and Adam from the classic start (−1.2, 1) on Rosenbrock for 500 steps, each twice: "
         "at the default rate η = 0.01, and at the rate `tune η` picks for it (lowest final loss of 25 rates from "
         "1e−5 to 10).",
         "At the shared rate SGD and momentum leave the map at step 2, and Adam (final loss 3.3) beats "
         "Adagrad (4.2): a gallery run this way ranks the rate, not the optimizer.",
         "Tuned, all four converge and the order changes: momentum ends lowest (4e−8 at η ≈ 0.003), then Adam "
         "(4e−6 at η = 1, a hundred times the default), Adagrad (5e−4 at η ≈ 1.8) and SGD (0.06 at η ≈ 0.003).",
         "The best rates span almost three decades, and momentum's and Adagrad's lie one step of the sweep (×1.8) "
         "below a rate that leaves the map: a tuned constant rate sits near the edge of stability.",
         "On Beale (preset `fair_race_beale`) the same tuning gives another order: which optimizer wins depends on "
         "the surface, so one race on one surface says little.",
         "Try next: tune by steps to tolerance instead of final loss, or give each a cosine schedule and tune again."),
        "tune", _race("fair_race", "rosenbrock", (-1.2, 1.0)),
    ),
    Preset(
        "fair_race_beale", "A fair race on Beale", "the default's winner comes last once all are tuned",
        ("The same four optimizers from (1, 1.5) on Beale for 500 steps, at η = 0.01 and at the rate `tune η` "
         "picks for each (lowest final loss of 25 rates from 1e−5 to 10).",
         "At the shared rate SGD ends lowest (0.0015), Adam at 0.25, Adagrad at 18, and momentum leaves the map "
         "at step 8.",
         "Tuned, Adam reaches the minimum to rounding (5e−22 at η ≈ 0.56), then momentum (1e−9), Adagrad (2e−7) "
         "and SGD last (2e−6 at η ≈ 0.03): the default's winner is the tuned race's loser.",
         "On Rosenbrock (preset `fair_race`) momentum wins instead: the order belongs to the surface as much as "
         "to the optimizer.",
         "Try next: start from the far side (−1, −1) and tune again."),
        "tune", _race("fair_race_beale", "beale", (1.0, 1.5)),
    ),
)

PRESETS: dict[str, Preset] = {p.id: p for p in ALL}

# The five schedule families of the survey, for the page's explanation of schedules (each with examples).
FAMILIES = (
    {"family": "constant", "title": "Constant", "schedules": ["constant"],
     "text": "One rate for the whole run: simple and fast on plateaus, but it cannot settle into a narrow valley."},
    {"family": "piecewise", "title": "Piecewise (step) decay", "schedules": ["step", "multistep", "linear"],
     "text": "The rate drops at set steps (or as the loss plateaus): big moves early, fine moves late."},
    {"family": "smooth", "title": "Smooth decay", "schedules": ["exponential", "cosine", "inverse_sqrt"],
     "text": "The rate falls continuously: exponentially, along a cosine, or as 1/√k."},
    {"family": "cyclical", "title": "Cyclical", "schedules": ["triangular", "sgdr", "sin2"],
     "text": "The rate rises and falls again: high phases explore, low phases settle; SGDR restarts a cosine."},
    {"family": "warmup", "title": "Warmup", "schedules": ["linear_warmup", "warmup_cosine", "one_cycle"],
     "text": "The rate starts small and grows before decaying, so the first large gradients do no damage."},
)
