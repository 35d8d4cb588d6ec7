"""A validated scene resolved into the engine's plan: the landscape the normaliser built, its parameter values
and minima, every run's resolved optimizer, schedule and options, and the learning-rate table computed once from
the schedules. Nothing is parsed or validated again.

Example:
    >>> from app.contract.scene import scene_of
    >>> plan = plan_of(scene_of({"landscape": {"id": "booth"}, "steps": 3,
    ...                          "runs": [{"schedule": {"id": "plateau", "params": {"lr": 0.1, "min_lr": 0.025}}}]}))
    >>> plan.learning_rates.tolist(), plan.runs[0].plateau["min_scale"], plan.target
    ([[0.1, 0.1, 0.1]], 0.25, 0.0)
"""
from __future__ import annotations

from landscapes import minima

from ..engine.plan import Plan, RunPlan
from ..schedules import learning_rate_tables
from .scene import Run, Scene

PLATEAU_OPTIONS = ("factor", "patience", "rtol", "atol", "cooldown", "accumulation_size", "convention")


def plateau_of(run: Run) -> dict | None:
    """A run's reduce-on-plateau options: from the `plateau` schedule, the run's `plateau` option, or None (off)."""
    if run.schedule.id == "plateau":
        p = run.schedule.params
        return {**{name: p[name] for name in PLATEAU_OPTIONS}, "min_scale": p["min_lr"] / p["lr"]}
    return run.plateau or None


def plan_of(scene: Scene) -> Plan:
    """The plan of a validated scene."""
    landscape = scene.resolved_landscape
    params = scene.landscape.params
    values = params["constants"] if scene.landscape.id == "expression" else params
    runs = tuple(RunPlan(label=run.label, optimizer_id=run.optimizer.id, optimizer_params=run.optimizer.params,
                         schedule_id=run.schedule.id, schedule_params=run.schedule.params, start=tuple(run.start),
                         clip_norm=run.clip_norm, noise_std=run.noise.std, noise_seed=run.noise.seed,
                         plateau=plateau_of(run))
                 for run in scene.runs)
    learning_rates = learning_rate_tables([(run.schedule.id, run.schedule.params) for run in scene.runs], scene.steps)
    return Plan(landscape=landscape, landscape_params=values, minima=minima(landscape, values), steps=scene.steps,
                tolerance=scene.tolerance, learning_rates=learning_rates, runs=runs, internals=scene.internals)
