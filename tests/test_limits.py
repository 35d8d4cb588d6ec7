"""Every limit is defined once (app/vocabulary/limits.py) and read from there: by the catalog (and through it the
page), by the models' OpenAPI bounds, and by the documentation's table; no other module writes a limit's value."""
from __future__ import annotations

import ast
import operator
from pathlib import Path

from fastapi.testclient import TestClient

from app.contract.catalog import catalog
from app.server.factory import create_app
from app.vocabulary import limits

ROOT = Path(__file__).resolve().parents[1]
# values that are limits and nothing else (a 500 or an 80 is also a default, a 256 a cache size)
DISTINCTIVE = {limits.MAX_STEPS, limits.MAX_RUN_STEPS, limits.MAX_GRID_WORK, limits.MAX_RANGE_TEST_STEPS,
               limits.MAX_MESH_N, limits.MAX_TOKEN_LENGTH, limits.MAX_SCENE_BYTES, limits.MAX_BODY_BYTES,
               limits.MAX_SEED, limits.MAX_CLIP_NORM, limits.MAX_NOISE_STD, limits.MIN_RANGE_TEST_LR}
OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Pow: operator.pow}


def _number(node: ast.AST):
    """The value of a number literal or an arithmetic expression of them (256 * 256 * 1000), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            return OPERATORS[type(node.op)](left, right)
    return None


def limit_literals(source: str) -> list[tuple[int, float]]:
    """(line, value) of every limit's value written in `source`, outside a parameter's range (Param(...))."""
    found = []

    def visit(node: ast.AST):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Param":
            return
        value = _number(node)
        if value is not None:
            if value in DISTINCTIVE:
                found.append((node.lineno, value))
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def test_no_module_but_the_vocabulary_writes_a_limit():
    written = {str(path.relative_to(ROOT)): limit_literals(path.read_text())
               for package in ("app", "landscapes") for path in sorted((ROOT / package).rglob("*.py"))
               if path != ROOT / "app" / "vocabulary" / "limits.py"}
    assert {path: found for path, found in written.items() if found} == {}


def test_a_limit_written_twice_is_found():
    assert limit_literals("MAX = 50_000\nn = 256 * 256 * 1000\nok = Param('a', '', 1, max=1_000_000)\n") == [
        (1, 50000), (2, 65536000)]
    assert limit_literals("seed = Field(0, le=2**32 - 1)") == [(1, 2**32 - 1)]


def test_the_catalog_and_the_schemas_read_the_limits():
    entry = catalog()
    assert entry["limits"] == limits.catalog_limits() and entry["limits"]["max_steps"] == limits.MAX_STEPS
    options = entry["run_options"]
    assert options["clip_norm"]["max"] == limits.MAX_CLIP_NORM
    assert options["noise"]["std"]["max"] == limits.MAX_NOISE_STD and options["noise"]["seed"]["max"] == limits.MAX_SEED
    with TestClient(create_app(warm_up_scope="off")) as client:
        document = client.get("/openapi.json").json()
    scene = document["components"]["schemas"]["Scene"]["properties"]
    assert scene["steps"]["maximum"] == limits.MAX_STEPS and scene["runs"]["maxItems"] == limits.MAX_RUNS
    basins = document["paths"]["/api/basins"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    basins = document["components"]["schemas"][basins["$ref"].rsplit("/", 1)[-1]] if "$ref" in basins else basins
    assert basins["properties"]["n"]["maximum"] == limits.MAX_BASIN_N


def test_the_documentation_table_has_every_limit_once():
    table = limits.markdown_table().splitlines()
    assert len(table) == 2 + len(limits.TABLE) and len({limit.key for limit in limits.TABLE}) == len(limits.TABLE)
    values = {name: value for name, value in vars(limits).items() if name.isupper() and isinstance(value, (int, float))}
    documented = {limit.value for limit in limits.TABLE} | {limit.low for limit in limits.TABLE}
    assert {name for name, value in values.items() if value not in documented} == set()
    assert "| steps per scene | 50,000 | `max_steps` |" in table and "| mesh grid size `n` | 2 to 401 | `max_mesh_n` |" in table


def test_the_api_doc_shows_the_table_as_made():
    text = (ROOT / "docs" / "api.md").read_text()
    shown = text.split("<!-- generated: limits -->\n")[1].split("\n<!-- end generated -->")[0]
    assert shown == limits.markdown_table()
