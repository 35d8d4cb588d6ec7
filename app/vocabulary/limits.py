"""Every limit of Optiscape, each defined once.

Validation reads these names (the scene and request models, the expression grammar, typed landscapes, the
permalink decoder, the server's body limit and compute slots); the catalog's `limits` and `run_options` read them
too, and `markdown_table()` writes the documentation's table from `TABLE`, so a limit changed here changes
everywhere, the frontend included (it reads the catalog).

Example:
    >>> MAX_STEPS, MAX_RUNS, MAX_RUN_STEPS
    (50000, 64, 400000)
    >>> catalog_limits()["max_mesh_n"]
    401
    >>> print(markdown_table().splitlines()[2])
    | steps per scene | 50,000 | `max_steps` |
"""
from __future__ import annotations

from dataclasses import dataclass

# ---- a scene ----
MAX_STEPS = 50_000
MAX_RUNS = 64
MAX_RUN_STEPS = 400_000  # runs x steps of one scene: bounds the work and the answer (about 50 MB of JSON)
MAX_INTERNALS_RUN_STEPS = 100_000  # the same with `internals`: up to 12 more numbers per step (about 4x the JSON)
MAX_SEQUENCE_PARTS = 8
MAX_LABEL_LENGTH = 80
MAX_ID_LENGTH = 64  # a landscape, optimizer, schedule or preset id as sent
MAX_TOLERANCE = 1e9
MAX_CLIP_NORM = 1e9
MAX_NOISE_STD = 1e6
MAX_SEED = 2**32 - 1
MAX_LIST_LENGTH = 16  # entries of a list parameter (multistep's milestones and factors)

# ---- typed expressions (landscapes and schedules) ----
MAX_EXPRESSION_LENGTH = 500  # characters
MAX_EXPRESSION_DEPTH = 40  # levels of nesting: parentheses, calls, signs, exponents
MAX_EXPRESSION_OPERATIONS = 400
MAX_EXPONENT = 64  # a constant exponent lies within ±this
MAX_CONSTANTS = 8  # named parameters of a typed landscape
MAX_CONSTANT_NAME_LENGTH = 16
MAX_CONSTANT = 1e9  # a named parameter's value lies within ±this
MAX_DOMAIN = 1e6  # a typed landscape's plot domain lies within ±this

# ---- the service ----
MIN_MESH_N, MAX_MESH_N = 2, 401
MAX_TOKEN_LENGTH = 16_384  # characters: far above a 64-run scene (about 4,500)
MAX_SCENE_BYTES = 262_144  # a permalink's JSON once inflated
MAX_BODY_BYTES = 1_000_000
MAX_URL_BYTES = 65_536  # path and query: above a stream's longest `s` (2 x MAX_TOKEN_LENGTH), so its own errors answer
MAX_HEAD_BYTES = 131_072  # request line and headers; the HTTP layer (h11) buffers this much, no more
COMPUTE_SLOTS = 2  # scenes computed at once (one per core); others wait
RUN_CACHE_BYTES = 64 * 2**20  # runs' answers kept by each server process for the next scene (app.contract.run_cache)

# ---- explorations of one run ----
MIN_BASIN_N, MAX_BASIN_N = 4, 256
MAX_GRID_WORK = 256 * 256 * 1000  # basin or sweep cells x steps of one request (about 2 s on 2 cores)
MIN_AXIS_VALUES, MAX_AXIS_VALUES = 2, 64
MIN_TUNE_N, MAX_TUNE_N = 3, MAX_AXIS_VALUES  # rates of a tune: one sweep axis
MIN_SEEDS, MAX_SEEDS = 2, 64
MIN_RANGE_TEST_STEPS, MAX_RANGE_TEST_STEPS = 10, 20_000
MIN_RANGE_TEST_LR, MAX_RANGE_TEST_LR = 1e-10, 10  # max/min up to 1e11: a finite ramp


@dataclass(frozen=True)
class Limit:
    """One row of the documented limits: `key` names it in the catalog and the docs, `what` says what it bounds."""

    key: str
    what: str
    value: int | float
    low: int | float | None = None  # the lowest allowed value, where there is one worth saying
    note: str = ""


SCENE = (
    Limit("max_steps", "steps per scene", MAX_STEPS),
    Limit("max_runs", "runs per scene", MAX_RUNS),
    Limit("max_run_steps", "runs x steps per scene", MAX_RUN_STEPS),
    Limit("max_internals_run_steps", "runs x steps per scene with `internals`", MAX_INTERNALS_RUN_STEPS),
    Limit("max_sequence_parts", "parts of a `sequence` schedule", MAX_SEQUENCE_PARTS),
    Limit("max_label_length", "characters of a run's label", MAX_LABEL_LENGTH),
)
EXPLORATION = (
    Limit("max_basin_n", "basin map grid `n` (n x n starts)", MAX_BASIN_N, low=MIN_BASIN_N),
    Limit("max_grid_cells_x_steps", "grid work (basin cells or sweep cells x steps)", MAX_GRID_WORK),
    Limit("max_sweep_axis_values", "values per sweep axis (two axes at most)", MAX_AXIS_VALUES, low=MIN_AXIS_VALUES),
    Limit("max_tune_n", "rates tried by a tune (`n`)", MAX_TUNE_N, low=MIN_TUNE_N),
    Limit("max_seeds", "seeds per seed band", MAX_SEEDS, low=MIN_SEEDS, note="seeds x steps within runs x steps"),
    Limit("max_range_test_steps", "LR range test steps", MAX_RANGE_TEST_STEPS, low=MIN_RANGE_TEST_STEPS),
)
SERVICE = (
    Limit("max_mesh_n", "mesh grid size `n`", MAX_MESH_N, low=MIN_MESH_N),
    Limit("max_token_length", "characters of a permalink token", MAX_TOKEN_LENGTH),
    Limit("max_scene_bytes", "bytes of a permalink's scene once inflated", MAX_SCENE_BYTES),
    Limit("max_body_bytes", "bytes of a request body", MAX_BODY_BYTES),
    Limit("max_url_bytes", "bytes of a URL's path and query (414 above)", MAX_URL_BYTES),
    Limit("max_head_bytes", "bytes of a request's line and headers (431 above)", MAX_HEAD_BYTES),
)
# Bounds of single values: the catalog states them where the value is described (run_options, parameters).
VALUES = (
    Limit("compute_slots", "scenes computed at once (others wait)", COMPUTE_SLOTS),
    Limit("run_cache_bytes", "bytes of run answers each server process keeps for the next scene (least recently used out first)", RUN_CACHE_BYTES),
    Limit("max_id_length", "characters of an id as sent", MAX_ID_LENGTH),
    Limit("max_list_length", "entries of a list parameter", MAX_LIST_LENGTH),
    Limit("max_tolerance", "a scene's `tolerance`", MAX_TOLERANCE, note="above 0"),
    Limit("max_clip_norm", "a run's `clip_norm`", MAX_CLIP_NORM, note="above 0, or null for none"),
    Limit("max_noise_std", "a run's `noise.std`", MAX_NOISE_STD, low=0),
    Limit("max_seed", "a run's `noise.seed`", MAX_SEED, low=0),
    Limit("max_range_test_lr", "LR range test `max_lr` (`min_lr` from the low end)", MAX_RANGE_TEST_LR,
          low=MIN_RANGE_TEST_LR),
    Limit("max_expression_length", "characters of a typed expression", MAX_EXPRESSION_LENGTH),
    Limit("max_expression_depth", "levels of nesting in a typed expression", MAX_EXPRESSION_DEPTH),
    Limit("max_expression_operations", "operations in a typed expression", MAX_EXPRESSION_OPERATIONS),
    Limit("max_exponent", "a constant exponent in a typed expression, either sign", MAX_EXPONENT),
    Limit("max_constants", "named parameters of a typed landscape", MAX_CONSTANTS),
    Limit("max_constant_name_length", "characters of a named parameter", MAX_CONSTANT_NAME_LENGTH),
    Limit("max_constant", "a named parameter's value, either sign", MAX_CONSTANT),
    Limit("max_domain", "a typed landscape's domain bounds, either sign", MAX_DOMAIN),
)
TABLE = SCENE + EXPLORATION + SERVICE + VALUES

LIMITS = {limit.key: limit.value for limit in SCENE + EXPLORATION}  # what a scene or an exploration may ask


def catalog_limits() -> dict[str, int]:
    """The catalog's `limits`: the sizes a scene, an exploration and a request may reach."""
    return {**LIMITS, **{limit.key: limit.value for limit in SERVICE}}


def _number(value: int | float) -> str:
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    return f"{value:g}"


def markdown_table() -> str:
    """The documentation's table of limits, one row per limit, with its name in the catalog's `limits` (if there)."""
    in_catalog = catalog_limits()
    rows = ["| limit | value | catalog |", "|---|---|---|"]
    for limit in TABLE:
        value = _number(limit.value) if limit.low is None else f"{_number(limit.low)} to {_number(limit.value)}"
        key = f"`{limit.key}`" if limit.key in in_catalog else ""
        rows.append(f"| {limit.what} | {value}{f' ({limit.note})' if limit.note else ''} | {key} |")
    return "\n".join(rows)
