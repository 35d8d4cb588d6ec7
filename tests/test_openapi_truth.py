"""The published OpenAPI tells the truth: a scene it accepts, a live server accepts.

Schemathesis draws scenes from the /openapi.json of a real uvicorn server (positive data: schema-valid only) and
sends them to POST /api/runs and /api/permalinks; its `positive_data_acceptance` check fails on any refusal (400,
413, 422). Every parameter of every landscape, optimizer and schedule is typed and bounded in the schema (a
union on `id`), so what remains are the rules a JSON schema cannot state because they compare two fields; the
schema states them in words, and `within_stated_rules` keeps the drawn scenes that obey them, written here from
the parameter lists and limits, not by asking the validator:

- a bound written in T (`x-maximum: "T"`): at most the scene's steps, or the sequence part's length;
- runs × steps at most MAX_RUN_STEPS (MAX_INTERNALS_RUN_STEPS with `internals`); a start inside twice the landscape's plot domain;
- a schedule's rules between its own parameters (its `check`), the plateau option's rtol or atol above 0, no
  plateau option over the plateau schedule; a sequence's parts leave the last at least one step;
- a typed expression (the `expression` landscape and schedule) must parse: a grammar, not a JSON schema.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, positive_data_acceptance
from schemathesis.generation import GenerationMode

from app.schedules import SCHEDULES
from app.schedules.piecewise import PLATEAU_PARAMS
from app.vocabulary.limits import MAX_INTERNALS_RUN_STEPS, MAX_RUN_STEPS
from app.vocabulary.params import Derived
from landscapes import LANDSCAPES
from server import serving


@pytest.fixture(scope="module")
def live():
    with serving("--no-warm-up") as url:
        yield schemathesis.openapi.from_url(url + "/openapi.json")


def _values(params, given: dict, steps: int) -> dict:
    """Given values over the declared defaults (a default written in T at T = steps)."""
    values = {}
    for param in params:
        if param.name in given:
            values[param.name] = given[param.name]
        elif isinstance(param.default, Derived):
            values[param.name] = param.default.fn(steps, values)
        else:
            values[param.name] = param.default
    return values


def _schedule_within(schedule: dict, steps: int) -> bool:
    spec, given = SCHEDULES[schedule["id"]], schedule.get("params", {})
    if spec.id == "expression":
        return False
    if spec.id == "sequence":
        parts = given["parts"]
        lengths = [part.get("steps") for part in parts]
        if lengths[-1] is not None or None in lengths[:-1] or sum(lengths[:-1]) > steps - 1:
            return False
        lengths[-1] = steps - sum(lengths[:-1])
        return all(_schedule_within(part["schedule"], length) for part, length in zip(parts, lengths))
    for param in spec.params:
        value = given.get(param.name)
        numbers = value if isinstance(value, list) else [value]
        if param.max == "T" and any(n is not None and n > steps for n in numbers):
            return False
    return not (spec.check and spec.check(_values(spec.params, given, steps), steps))


def within_stated_rules(scene: dict) -> bool:
    """Whether a schema-valid scene obeys the cross-field rules the schema states in words (module docstring)."""
    landscape, steps, runs = scene["landscape"]["id"], scene.get("steps", 500), scene["runs"]
    limit = MAX_INTERNALS_RUN_STEPS if scene.get("internals") else MAX_RUN_STEPS
    if landscape == "expression" or len(runs) * steps > limit:
        return False
    (x0, x1), (y0, y1) = LANDSCAPES[landscape].escape_box()
    for run in runs:
        start, schedule, plateau = run.get("start"), run.get("schedule", {"id": "constant"}), run.get("plateau")
        if start is not None and not (x0 <= start[0] <= x1 and y0 <= start[1] <= y1):
            return False
        if plateau is not None:
            values = _values(PLATEAU_PARAMS, plateau, steps)
            if schedule["id"] == "plateau" or values["rtol"] == values["atol"] == 0:
                return False
        if not _schedule_within(schedule, steps):
            return False
    return True


@pytest.mark.parametrize("path, examples", [("/api/permalinks", 60), ("/api/runs", 12)])
def test_a_scene_the_schema_accepts_the_live_server_accepts(live, path, examples):
    operation = live[path]["POST"]
    kept = []

    @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE).filter(
        lambda case: within_stated_rules(case.body)))
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def accepted(case):
        kept.append(case)
        case.call_and_validate(checks=[positive_data_acceptance, not_a_server_error], timeout=300)  # compiles

    accepted()
    assert len(kept) >= examples // 2, "the stated rules should leave most drawn scenes to send"
