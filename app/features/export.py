"""Export a scene as a standalone Python script that reproduces its runs with optax.

The script needs only jax and optax, and is made from the engine's own definitions: it holds the landscape's jnp
source (a typed landscape is printed back from its parsed tree, never copied from the text), each run's learning
rates as the table Optiscape computed and the optimizer consumed (so every schedule, typed ones included, is
reproduced exactly), the optax optimizer built at each step with that step's rate, and, copied verbatim, the
engine's trajectory step (`app/engine/step.py`: gradient noise, clipping, reduce-on-plateau in either convention,
the update) and reduce-on-plateau's state machine (`app/optimizers/plateau.py`). Lookahead is optax's own
`optax.lookahead` (the engine's traced copy is tested equal to it). The numbers agree to rounding: the script runs
scalar code where the engine runs vectorised code, and a chaotic run can amplify their last-bit difference.

Example:
    >>> from app.contract.compute import export_script
    >>> script = export_script({"landscape": {"id": "booth"}, "steps": 3, "runs": [{}]})
    >>> "optax.sgd" in script and "def f(p" in script and "def trajectory_step(" in script
    True
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from types import ModuleType
from typing import Any, Mapping

from landscapes import Landscape, surfaces, typed

from ..engine import step as step_module
from ..engine.plan import Plan
from ..optimizers import OPTIMIZERS
from ..optimizers import plateau as plateau_module
from ..vocabulary.expression import FUNCTIONS, check

PLATEAU_OPTIONS = ("factor", "patience", "rtol", "atol", "cooldown", "accumulation_size", "min_scale", "convention")


JNP_NAMES = {"sin": "jnp.sin", "cos": "jnp.cos", "tan": "jnp.tan", "exp": "jnp.exp", "log": "jnp.log",
             "sqrt": "jnp.sqrt", "abs": "jnp.abs", "tanh": "jnp.tanh", "sigmoid": "jax.nn.sigmoid", "sinh": "jnp.sinh",
             "cosh": "jnp.cosh", "atan": "jnp.arctan", "floor": "jnp.floor", "ceil": "jnp.ceil", "min": "jnp.minimum",
             "max": "jnp.maximum", "log10": "jnp.log10"}
assert set(JNP_NAMES) == set(FUNCTIONS)


def _code_of(node) -> str:
    """jnp source of a parsed expression tree (names come from the whitelist, numbers are repr'd floats)."""
    if node.kind == "number":  # an array, as the engine's evaluation makes it (a Python 2.0 would lower differently)
        return f"jnp.asarray({float(node.value)!r}, dtype=jnp.float64)"
    if node.kind == "variable":
        return {"x": "p[0]", "y": "p[1]"}.get(node.value, f"q[{node.value!r}]")
    if node.kind == "unary":
        return f"({node.value}{_code_of(node.children[0])})"
    if node.kind == "call":
        return f"{JNP_NAMES[node.value]}({', '.join(_code_of(c) for c in node.children)})"
    left, right = (_code_of(c) for c in node.children)
    return f"jnp.power({left}, {right})" if node.value == "^" else f"({left} {node.value} {right})"


def _landscape_source(landscape: Landscape) -> str:
    if landscape.id == "expression":
        tree = check(landscape.formula, typed.VARIABLES + tuple(p.name for p in landscape.params))
        comment = " ".join(landscape.formula.split())  # one line, whatever whitespace was typed
        return f"def f(p, q):\n    # {comment}\n    return {_code_of(tree)} + 0.0 * p[0]\n"
    function = getattr(surfaces, landscape.id)
    source = textwrap.dedent(inspect.getsource(function)).replace(f"def {landscape.id}(", "def f(", 1)
    helpers = inspect.getsource(surfaces._safe_sqrt) + "\n\n" if "_safe_sqrt" in source else ""
    return helpers + source


def module_body(module: ModuleType) -> str:
    """A module's source without its docstring and imports: what a script copies of it."""
    source = inspect.getsource(module)
    tree = ast.parse(source)
    first = next(node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom))
                 and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)))
    start = min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])])
    return "".join(source.splitlines(keepends=True)[start - 1:])


def _optimizer_code(optimizer_id: str, p: Mapping[str, Any]) -> str:
    """optax source of an optimizer with its resolved parameters (the rate is `lr`)."""
    args = lambda names: "".join(f", {name}={p[name]!r}" for name in names)
    if optimizer_id == "sgd":
        return "optax.sgd(lr)"
    if optimizer_id in ("momentum", "nesterov"):
        return f"optax.sgd(lr, momentum={p['momentum']!r}{', nesterov=True' if optimizer_id == 'nesterov' else ''})"
    if optimizer_id == "yogi":
        return (f"optax.chain(optax.scale_by_yogi({args(['b1', 'b2', 'eps', 'initial_accumulator_value'])[2:]}), "
                "optax.scale_by_learning_rate(lr))")
    if optimizer_id == "lookahead":
        inner = _optimizer_code(p["inner"]["id"], p["inner"]["params"])
        return f"optax.lookahead({inner}, sync_period={p['sync_period']!r}, slow_step_size={p['slow_step_size']!r})"
    names = [param.name for param in OPTIMIZERS[optimizer_id].params]
    return f"optax.{optimizer_id}(lr{args(names)})"


TEMPLATE = '''"""Reproduces an Optiscape scene with optax: {n_runs} run(s) of {steps} steps on {landscape}.

Generated by Optiscape. Needs jax and optax; run it with python. Each run prints its final point and loss, and
`trajectories` holds every iterate (float64).
"""
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

jax.config.update("jax_enable_x64", True)

LANDSCAPE_PARAMS = {landscape_params!r}


{landscape_source}

STEPS = {steps}
OPTIMIZERS = {optimizers}
RUNS = {runs}


# ---- reduce on plateau: Optiscape's app/optimizers/plateau.py ----
{plateau_source}

# ---- one trajectory step: Optiscape's app/engine/step.py ----
{step_source}

def run(spec):
    q = {{k: jnp.asarray(v) for k, v in LANDSCAPE_PARAMS.items()}}
    loss = lambda p: f(p, q)
    table = jnp.asarray(spec["learning_rates"])  # the rates Optiscape computed: every schedule, exactly
    optimizer = OPTIMIZERS[spec["optimizer"]]  # built each step with that step's rate (its state does not depend on it)
    with_plateau = spec["plateau"] is not None
    options = StepOptions(clip=jnp.inf if spec["clip_norm"] is None else spec["clip_norm"],
                          noise_std=spec["noise_std"],
                          plateau=plateau_options(**spec["plateau"]) if with_plateau else None)
    lookahead = spec["lookahead"]
    seed = jnp.asarray(spec["seed"], dtype=jnp.uint32)

    @jax.jit
    def step(state, k):
        state, _ = trajectory_step(loss, optimizer, lookahead, with_plateau, state, options, table[k],
                                   gradient_noise(seed, k))
        return state

    state = start_state(optimizer, lookahead, jnp.asarray(spec["start"]))
    points = [state.params.slow if lookahead else state.params]
    for k in range(STEPS):
        state = step(state, jnp.asarray(k, dtype=jnp.uint32))
        points.append(state.params.slow if lookahead else state.params)
    return jnp.stack(points)


trajectories = [run(spec) for spec in RUNS]

if __name__ == "__main__":
    for spec, points in zip(RUNS, trajectories):
        p = points[-1]
        print(f"{{spec['label']}}: final point ({{float(p[0]):.6f}}, {{float(p[1]):.6f}}), "
              f"loss {{float(f(p, LANDSCAPE_PARAMS)):.6g}}")
'''


def export_script(plan: Plan) -> str:
    """A standalone script reproducing every run of a plan."""
    runs = [{
        "label": run.label, "start": list(run.start), "optimizer": i, "lookahead": run.optimizer_id == "lookahead",
        "learning_rates": [float(v) for v in rates], "clip_norm": run.clip_norm, "noise_std": run.noise_std,
        "seed": run.noise_seed,
        "plateau": None if run.plateau is None else {name: run.plateau[name] for name in PLATEAU_OPTIONS},
    } for i, (run, rates) in enumerate(zip(plan.runs, plan.learning_rates))]
    optimizers = "".join(f"    lambda lr: {_optimizer_code(run.optimizer_id, run.optimizer_params)},\n"
                         for run in plan.runs)
    return TEMPLATE.format(
        n_runs=len(runs), steps=plan.steps, landscape=plan.landscape.id, landscape_params=dict(plan.landscape_params),
        landscape_source=_landscape_source(plan.landscape).rstrip() + "\n", runs=_format_runs(runs),
        plateau_source=module_body(plateau_module).rstrip() + "\n",
        step_source=module_body(step_module).rstrip() + "\n",
        optimizers="[\n" + optimizers + "]")


def _format_runs(runs: list[dict]) -> str:
    lines = ["["]
    for run in runs:
        lines.append("    {")
        for key, value in run.items():
            lines.append(f"        {key!r}: {value!r},")
        lines.append("    },")
    lines.append("]")
    return "\n".join(lines)
