"""The frontend's pure modules under `node --test` (tests/js), fed the catalog the running code builds; the
page's module preloads."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.contract.catalog import catalog

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")  # the machine image ships it
def test_node_unit_tests(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog()))
    done = subprocess.run([NODE, "--test", *sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))],
                          cwd=ROOT, env={"OPTISCAPE_CATALOG": str(path), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)
    print(done.stdout[-3000:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout


def test_the_page_preloads_exactly_the_modules_main_js_imports():
    """index.html names every module main.js needs (a modulepreload each), so that the browser fetches them at
    once instead of one level of imports after the other; a module added or dropped must be named there too."""
    js = ROOT / "frontend" / "js"
    needed, todo = set(), ["main.js"]
    while todo:
        for name in re.findall(r'^import .* from "\./([\w.]+)";$', (js / todo.pop()).read_text(), re.M):
            if name not in needed:
                needed.add(name)
                todo.append(name)
    preloaded = re.findall(r'<link rel="modulepreload" href="/static/js/([\w.]+)">', (ROOT / "frontend" / "index.html").read_text())
    assert sorted(preloaded) == sorted(needed) and len(preloaded) == len(set(preloaded))
