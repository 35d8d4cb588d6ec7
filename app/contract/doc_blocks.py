"""The generated parts of docs/: every landscape, optimizer, schedule and preset (docs/mathematics.md) and every
limit (docs/api.md), read from the registries and from app/vocabulary/limits.py.

The prose is written by hand; between markers

    <!-- generated: NAME -->
    ...
    <!-- end generated -->

the text is what `BLOCKS[NAME]()` renders from the catalog, which is built from the registries and the same
parameter lists that validate scenes (and the limits block from the limits themselves): so the docs, `GET /api/catalog` and the 422s say the same (defaults at
the catalog's default step count, their formula in T, ranges as the errors write them). `make docs` rewrites
the blocks; `tests/test_docs.py` fails when a checked-in file differs from what this module renders.

Example:
    >>> text = "Intro.\\n<!-- generated: presets -->\\nstale\\n<!-- end generated -->\\nMore prose."
    >>> rendered = render(text)
    >>> rendered.startswith("Intro.\\n<!-- generated: presets -->\\n| preset |") and rendered.endswith("More prose.")
    True
    >>> render(rendered) == rendered
    True
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

from ..vocabulary.limits import markdown_table
from ..vocabulary.params import NESTED

from .catalog import catalog

BLOCK = re.compile(r"(<!-- generated: (?P<name>\w+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.DOTALL)


def number(value: float | int) -> str:
    """A number as the docs print it: integers plainly, others with up to 10 significant digits, e.g. 1e-6."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) < 1e15):
        return str(int(value))
    text = f"{value:.10g}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)


def value_text(value: Any) -> str:
    """A JSON value with its numbers as `number` prints them."""
    if value is None or isinstance(value, (bool, int, float)):
        return "null" if value is None else number(value)
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {value_text(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def code(text: str) -> str:
    """Inline code, fenced with two backticks when the text holds one."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _default(entry: dict, steps: int) -> str:
    shown = code(value_text(entry["default"]))
    if entry.get("default_expr"):
        return f"{code(entry['default_expr'])} ({value_text(entry['default'])} at T = {steps})"
    return shown


def _allowed(entry: dict) -> str:
    if entry["kind"] in NESTED:
        return "see its meaning"
    text = entry["range"]
    if entry["kind"].endswith("_list"):
        text = f"a list of at most {entry['max_length']}, each in {text}"
    if entry["nullable"]:
        text += ", or null"
    return text


def parameter_table(entries: list[dict]) -> str:
    """One row per catalog parameter entry: name, default (with its formula in T), allowed values, unit, meaning."""
    if not entries:
        return "No parameters.\n"
    steps = catalog()["defaults"]["steps"]
    rows = ["| parameter | default | allowed | unit | meaning |", "|---|---|---|---|---|"]
    for entry in entries:
        rows.append(f"| `{entry['name']}` | {_cell(_default(entry, steps))} | {_cell(_allowed(entry))} | "
                    f"{_cell(entry['unit'])} | {_cell(entry['doc'])} |")
    return "\n".join(rows) + "\n"


def _box(box: list) -> str:
    (x0, x1), (y0, y1) = box
    return f"[{number(x0)}, {number(x1)}] × [{number(y0)}, {number(y1)}]"


def _landscape_section(entry: dict) -> str:
    (x0, x1), (y0, y1) = entry["domain"]
    lines = [f"### `{entry['id']}`: {entry['title']}", "", code(f"f(x, y) = {entry['formula']}"), "",
             entry["description"], ""]
    where = (f"Plot domain x ∈ [{number(x0)}, {number(x1)}], y ∈ [{number(y0)}, {number(y1)}]; a run that leaves "
             f"{_box(entry['escape_box'])}")
    if entry["floor"] is not None:
        where += f" or whose loss falls below {number(entry['floor'])}"
    lines += [where + " has escaped.", ""]
    if entry["critical_points"]:
        lines += ["| point | x | y | f |", "|---|---|---|---|"]
        for p in entry["critical_points"]:
            name = f" {p['name']}" if p["name"] and p["name"] != "global" else ""
            label = p["kind"] + name + (" (global)" if p["global"] else "")
            lines.append(f"| {label} | {number(p['x'])} | {number(p['y'])} | {number(p['value'])} |")
        lines.append("")
        if not entry["minima_complete"]:
            lines += ["The local minima are too many to list.", ""]
    if entry["infimum"] is not None:
        lines += [f"No minimum is attained at the default parameters: the infimum is {number(entry['infimum'])}.", ""]
    starts = "; ".join(f"({number(s['x'])}, {number(s['y'])}): {s['note']}" for s in entry["starts"])
    lines += [f"Suggested starts: {starts}.", ""]
    if entry["notes"]:
        lines += [entry["notes"], ""]
    lines.append(parameter_table(entry["params"]))
    return "\n".join(lines)


def landscapes_block() -> str:
    return "\n".join(_landscape_section(entry) for entry in catalog()["landscapes"].values())


def optimizers_block() -> str:
    return "\n".join("\n".join([f"### `{o['id']}`: {o['title']}", "", code(o["update"]), "", o["doc"], "",
                                parameter_table(o["params"])]) for o in catalog()["optimizers"].values())


def schedules_block() -> str:
    """The schedules by family: the survey's families first (with their text), then the others."""
    schedules = catalog()["schedules"].values()
    titles = {f["family"]: (f["title"], f["text"]) for f in catalog()["families"]}
    sections = []
    for family in dict.fromkeys(list(titles) + [s["family"] for s in schedules]):
        title, text = titles.get(family, (family.capitalize(), ""))
        sections.append(f"### {title} (family `{family}`)\n" + (f"\n{text}\n" if text else ""))
        sections += ["\n".join([f"#### `{s['id']}`: {s['title']}", "", code(s["formula"]), "", s["doc"], "",
                                parameter_table(s["params"])]) for s in schedules if s["family"] == family]
    return "\n".join(sections)


def plateau_option_block() -> str:
    return parameter_table(catalog()["run_options"]["plateau"])


def presets_block() -> str:
    rows = ["| preset | title | landscape | shows |", "|---|---|---|---|"]
    for preset in catalog()["presets"]:
        rows.append(f"| `{preset['id']}` | {_cell(preset['title'])} | `{preset['scene']['landscape']['id']}` | "
                    f"{_cell(preset['claims'])} |")
    return "\n".join(rows) + "\n"


BLOCKS: dict[str, Callable[[], str]] = {
    "landscapes": landscapes_block,
    "optimizers": optimizers_block,
    "schedules": schedules_block,
    "plateau_option": plateau_option_block,
    "presets": presets_block,
    "limits": lambda: markdown_table() + "\n",
}


def render(text: str) -> str:
    """`text` with every generated block replaced by what the catalog says now (KeyError: unknown block)."""
    def fill(match: re.Match) -> str:
        return match.group(1) + BLOCKS[match.group("name")]() + match.group(4)

    return BLOCK.sub(fill, text)


def main(argv: list[str]) -> int:
    """`python -m app.contract.doc_blocks FILE.md ...`: rewrite each FILE's generated blocks in place."""
    if not argv:
        print("usage: python -m app.contract.doc_blocks docs/mathematics.md docs/api.md", file=sys.stderr)
        return 2
    for path in map(Path, argv):
        text = path.read_text(encoding="utf-8")
        rendered = render(text)
        if rendered != text:
            path.write_text(rendered, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
