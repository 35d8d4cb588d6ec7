"""The summary of a computed scene, one row per run, as the page's summary table shows it
(frontend/js/panels.js): final and best loss, status, nearest minimum and the first step within the tolerance;
as data (`summary_rows`) and as an HTML table (`summary_html`: the notebook's Result and the HTML report).

Example:
    >>> from app.contract.compute import computed
    >>> c = computed({"landscape": {"id": "booth"}, "steps": 100,
    ...               "runs": [{"start": [0.0, 0.0], "schedule": {"id": "constant", "params": {"lr": 0.05}}}]})
    >>> row = summary_rows(c.scene, c.trajectories)[0]
    >>> row["label"], row["status"], row["nearest_minimum"], row["steps_to_tolerance"]
    ('sgd + constant', 'ok', (1.0, 3.0), 37)
    >>> "<td>37</td>" in summary_html(c.scene, [row])
    True
"""
from __future__ import annotations

import html
from typing import Sequence

from ..engine.trajectories import Trajectory
from .scene import Scene

COLUMNS = ("run", "final loss", "best loss", "status", "nearest minimum", "steps to tolerance")


def summary_rows(scene: Scene, trajectories: Sequence[Trajectory]) -> list[dict]:
    """One dict per run: label, colour, final_loss, best_loss, status, stopped_at, nearest_minimum (its name, or
    (x, y) when unnamed; None when the landscape lists none), distance_to_nearest_minimum, steps_to_tolerance
    (None: never)."""
    rows = []
    for run, t in zip(scene.runs, trajectories):
        s = t.summary
        minimum = s["nearest_minimum"]
        rows.append({"label": run.label, "colour": run.colour, "final_loss": s["final_loss"],
                     "best_loss": s["best_loss"], "status": t.status, "stopped_at": t.stopped_at,
                     "nearest_minimum": (minimum["name"] or (minimum["x"], minimum["y"])) if minimum else None,
                     "distance_to_nearest_minimum": s["distance_to_nearest_minimum"],
                     "steps_to_tolerance": s["steps_to_tolerance"]})
    return rows


def _number(value: float | None, digits: int = 4) -> str:
    """The page's `fmt`: exponent form for very large or small numbers, else `digits` significant digits."""
    if value is None:
        return "–"
    if abs(value) >= 1e4 or (abs(value) < 1e-3 and value != 0):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


def summary_html(scene: Scene, rows: Sequence[dict]) -> str:
    """An HTML table of `summary_rows`, each run's colour as a swatch."""
    body = []
    for row in rows:
        status = row["status"] if row["status"] == "ok" else f"{row['status']} at step {row['stopped_at']}"
        minimum = row["nearest_minimum"]
        if minimum is None:
            nearest = "–"
        else:
            where = minimum if isinstance(minimum, str) else f"({_number(minimum[0], 3)}, {_number(minimum[1], 3)})"
            nearest = f"{_number(row['distance_to_nearest_minimum'])} ({where})"
        cells = [row["label"], _number(row["final_loss"], 6), _number(row["best_loss"], 6), status, nearest,
                 "never" if row["steps_to_tolerance"] is None else row["steps_to_tolerance"]]
        swatch = (f'<span class="swatch" style="display:inline-block;width:12px;height:12px;'
                  f'background:{row["colour"]}"></span>')
        body.append(f"<tr><td>{swatch}</td>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    head = "<tr><th></th>" + "".join(f"<th>{name}</th>" for name in COLUMNS) + "</tr>"
    caption = f"Summary (tolerance {scene.tolerance} on f − f*)"
    return f'<table class="summary"><caption>{caption}</caption>{head}{"".join(body)}</table>'
