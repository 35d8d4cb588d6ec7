"""The package's imports point one way: no cycle, no project import hidden inside a function (the CLI alone may
import lazily, for a fast start), and every import goes down the layers of docs/architecture.md:

    cli, optiscape -> server -> contract -> features -> engine -> optimizers, schedules -> landscapes -> vocabulary

(the CLI reaches the contract directly, and the server only for `optiscape serve`; the Python face `optiscape/`
is a top layer beside the CLI, reaching the contract, and nothing of the project imports it).

Every module of app/, landscapes/ and optiscape/ is read as source (its AST); nothing is imported. The checks are shown to
fail on a copy of the package with a planted cycle and a planted hidden import.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "landscapes", "optiscape")
LAZY_ALLOWED = {"app.cli"}

# group -> layer; a module may import its own group and any lower layer. Siblings (optimizers, schedules) may not
# import each other.
LAYERS = {"app": 0, "vocabulary": 0, "landscapes": 1, "optimizers": 2, "schedules": 2, "engine": 3, "features": 4,
          "contract": 5, "server": 6, "cli": 7, "optiscape": 7}


class Import(NamedTuple):
    source: str  # the importing module
    target: str  # the imported project module (a package means its __init__)
    line: int
    hidden: bool  # inside a function


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the packages under `root`."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def project_imports(root: Path) -> list[Import]:
    """Every import of a project module by a project module, resolved to the module it runs."""
    known = modules(root)
    found = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(), filename=str(path))

        def visit(node: ast.AST, hidden: bool):
            for child in ast.iter_child_nodes(node):
                inside = hidden or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        anchor = package.split(".")[:len(package.split(".")) - (child.level - 1)]
                        base = ".".join(anchor + ([base] if base else []))
                    targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                               for alias in child.names]
                else:
                    visit(child, inside)
                    continue
                for target in targets:
                    if target.split(".")[0] in PACKAGES:
                        found.append(Import(name, target, child.lineno, hidden))

        visit(tree, False)
    return found


def cycles(imports: list[Import]) -> list[list[str]]:
    """The import cycles (strongly connected components of more than one module, or a module importing itself)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.source, set()).add(imp.target)
        graph.setdefault(imp.target, set())
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def connect(node: str):  # Tarjan
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return out


def group(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("landscapes", "optiscape"):
        return parts[0]
    return parts[1] if len(parts) > 1 else "app"


def layer_violations(imports: list[Import]) -> list[Import]:
    return [imp for imp in imports if group(imp.source) != group(imp.target)
            and LAYERS[group(imp.target)] >= LAYERS[group(imp.source)]]


def hidden_imports(imports: list[Import]) -> list[Import]:
    return [imp for imp in imports if imp.hidden and imp.source not in LAZY_ALLOWED]


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return project_imports(ROOT)


def test_every_module_is_read_and_its_imports_found(imports):
    names = modules(ROOT)
    assert {"app.vocabulary.params", "app.engine.step", "app.contract.scene", "app.server.routes",
            "landscapes.typed"} <= set(names)
    pairs = {(i.source, i.target) for i in imports}
    assert ("app.engine.grid", "app.engine.step") in pairs  # from .step import ...
    assert ("app.contract.scene", "landscapes.typed") in pairs  # from landscapes import ..., typed
    assert ("app.server.factory", "app") in pairs  # from .. import __version__


def test_no_import_cycle(imports):
    assert cycles(imports) == []


def test_no_project_import_hidden_in_a_function(imports):
    assert hidden_imports(imports) == []


def test_dependencies_point_down_the_layers(imports):
    assert {group(name) for name in modules(ROOT)} == set(LAYERS)  # every folder (and app/cli.py) has its layer
    assert layer_violations(imports) == []


def test_the_checks_fail_on_a_planted_cycle_and_a_hidden_import(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    assert cycles(project_imports(tmp_path)) == []
    params = tmp_path / "app" / "vocabulary" / "params.py"
    params.write_text(params.read_text().replace("from .limits import MAX_LIST_LENGTH\n",
                                                 "from .limits import MAX_LIST_LENGTH\nfrom ..engine import step\n"))
    step = tmp_path / "app" / "engine" / "step.py"
    step.write_text(step.read_text().replace('    """ξ_k ~ N(0, I)', '    from ..contract import scene\n    """ξ_k ~ N(0, I)'))
    planted = project_imports(tmp_path)
    found = cycles(planted)
    assert any({"app.vocabulary.params", "app.engine.step"} <= set(cycle) for cycle in found), found
    assert [(i.source, i.target) for i in hidden_imports(planted)] == [("app.engine.step", "app.contract.scene")]
    assert ("app.vocabulary.params", "app.engine.step") in {(i.source, i.target) for i in layer_violations(planted)}
