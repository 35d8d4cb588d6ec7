"""The catalog: every landscape, optimizer and schedule with its parameters, built from the same parameter lists
that validate scenes (one source), plus the limits and the per-run options.

Example:
    >>> entry = catalog()["schedules"]["step"]
    >>> [(p["name"], p["default"], p.get("default_expr")) for p in entry["params"]]
    [('lr', 0.01, None), ('step_size', 100, 'T/5'), ('gamma', 0.5, None)]
"""
from __future__ import annotations

from functools import lru_cache

from landscapes import LANDSCAPES, typed

from ..engine.trajectories import CHUNK_STEPS
from ..features.presets import FAMILIES, PRESETS
from ..features.sweeps import SWEEP_PARAMS
from ..optimizers import OPTIMIZERS
from ..schedules import SCHEDULES
from ..vocabulary.limits import MAX_CLIP_NORM, MAX_NOISE_STD, MAX_SEED, catalog_limits
from ..vocabulary.params import Param, defaults
from .scene import PALETTE, PLATEAU_OPTION_PARAMS, Noise, Run, Scene

DEFAULT_STEPS = Scene.model_fields["steps"].default
PAGE_MESH_N = 80  # the grid the page asks for

# The spans of the sliders beside the numbers of a scene that are not in a parameter list (those carry their
# own, `Param.slider`); each field still takes any valid value. A run's start spans the landscape's domain.
SLIDERS = {
    "steps": {"min": 10, "max": 5000, "scale": "log"},
    "clip_norm": {"min": 0.01, "max": 100, "scale": "log"},
    "noise.std": {"min": 0, "max": 10, "scale": "linear"},
    "noise.seed": {"min": 0, "max": 100, "scale": "linear"},
}

# What the page shows when opened without a link (and what the server warms up first): one idea at once, the
# same optimizer under three schedules, one of them reaching the tolerance.
DEFAULT_SCENE = PRESETS["warmup"].scene


def describe(params: tuple[Param, ...], steps: int = DEFAULT_STEPS) -> list[dict]:
    """Each parameter's catalog entry, its default evaluated at T = steps (and its formula where it has one)."""
    values = defaults(params, steps)
    entries = []
    for param in params:
        entry = param.describe(steps)
        entry["default"] = values[param.name]
        entry["slider"] = param.slider(values[param.name])
        entries.append(entry)
    return entries


def _expression_entry() -> dict:
    example = typed.typed_landscape(typed.PARAMS[0].default, typed.check_domain(typed.DEFAULT_DOMAIN))
    return {"id": "expression", "title": "Your own function f(x, y)", "formula": "f(x, y)", "notes": "",
            "description": "Type any function of x and y; gradients by autodiff. Parsed by a whitelist grammar.",
            "domain": example.domain, "escape_box": example.escape_box(), "floor": None, "infimum": None,
            "colour_scale": "linear", "params": describe(typed.PARAMS), "critical_points": [],
            "minima_complete": False, "starts": [s.as_dict() for s in example.starts]}


@lru_cache(maxsize=1)
def catalog() -> dict:
    return {
        "version": Scene.model_fields["version"].default,
        "defaults": {"steps": DEFAULT_STEPS, "tolerance": Scene.model_fields["tolerance"].default},
        "limits": catalog_limits(),
        "landscapes": {
            lid: {
                "id": lid, "title": l.title, "formula": l.formula, "description": l.description, "notes": l.notes,
                "domain": l.domain, "escape_box": l.escape_box(), "floor": None if l.floor == float("-inf") else l.floor,
                "infimum": l.infimum, "colour_scale": l.colour_scale, "params": describe(l.params),
                "critical_points": [p.as_dict() for p in l.critical_points],
                "minima_complete": l.minima_complete,
                "starts": [s.as_dict() for s in l.starts],
            }
            for lid, l in LANDSCAPES.items()
        } | {"expression": _expression_entry()},
        "optimizers": {
            oid: {"id": oid, "title": o.title, "update": o.update, "doc": o.doc, "params": describe(o.params)}
            for oid, o in OPTIMIZERS.items()
        },
        "schedules": {
            sid: {"id": sid, "title": s.title, "family": s.family, "formula": s.formula, "doc": s.doc,
                  "stateful": s.stateful, "params": describe(s.params)}
            for sid, s in SCHEDULES.items()
        },
        "run_options": {
            "plateau": describe(PLATEAU_OPTION_PARAMS),
            "clip_norm": {"doc": "clip the gradient by global norm before the optimizer; null: off", "min": 0,
                          "min_exclusive": True, "max": MAX_CLIP_NORM, "default": Run.model_fields["clip_norm"].default},
            "noise": {"doc": "Gaussian noise of standard deviation std added to every gradient, seeded",
                      "std": {"min": 0, "max": MAX_NOISE_STD, "default": Noise.model_fields["std"].default},
                      "seed": {"min": 0, "max": MAX_SEED, "default": Noise.model_fields["seed"].default}},
        },
        "default_scene": DEFAULT_SCENE,
        "page_mesh_n": PAGE_MESH_N,
        "palette": list(PALETTE),
        "sliders": SLIDERS,
        "sweep_params": list(SWEEP_PARAMS),
        "stream_chunk_steps": CHUNK_STEPS,
        "presets": [preset.as_dict() for preset in PRESETS.values()],
        "families": FAMILIES,
    }
