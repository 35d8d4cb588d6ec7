"""A computed scene as one self-contained HTML file: the page's three views (`figures.figure_of`, contour), a step
slider that moves every run's marker and cuts its path as the page's timeline does, the summary table, the scene
(JSON) and its permalink. plotly.js is inlined from the installed plotly package; the file asks nothing of any
network, so it opens from a mail attachment or a course system as it is.

The views' figure is written once, as JSON in a `<script type="application/json">` (arrays in Plotly's typed-array
form, base64 of the float64 bytes, as plotly.py writes them); a short script draws it with Plotly.newPlot and, on the slider's input, restyles the
paths and the step markers and moves the step lines on both curves. `body[data-ready]` is set once drawn.

Example:
    >>> from app.contract.compute import computed
    >>> c = computed({"landscape": {"id": "booth"}, "steps": 10, "runs": [{"start": [0.0, 0.0]}]})
    >>> page = report_html(*c, permalink="http://127.0.0.1:8000/?s=TOKEN", mesh_n=10)
    >>> page.startswith("<!DOCTYPE html>"), '<input type="range" id="step" min="0" max="10" value="10"' in page
    (True, True)
    >>> "src=" in page.split("<body")[1]  # nothing loaded from anywhere
    False
"""
from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import orjson
import plotly

from ..engine.plan import Plan
from ..engine.trajectories import Trajectory
from .catalog import PAGE_MESH_N
from .figures import figure_of
from .scene import Scene
from .summary_table import summary_html, summary_rows

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
FILENAME = "optiscape_report.html"

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; } p.lead { margin: 0 0 1rem; color: #555; }
.timeline { display: flex; gap: .8rem; align-items: center; margin: .5rem 0 1rem; }
.timeline input { flex: 1; max-width: 40rem; }
table.summary { border-collapse: collapse; margin: .5rem 0 1.5rem; }
table.summary caption { text-align: left; font-weight: 600; padding-bottom: .3rem; }
table.summary th, table.summary td { padding: .25rem .7rem; border-bottom: 1px solid #ddd; text-align: left; }
pre { background: #f6f6f6; padding: .8rem; overflow: auto; max-height: 24rem; font-size: .8rem; }
a.permalink { word-break: break-all; }
.scroll { overflow-x: auto; }
@media (max-width: 700px) { body { margin: .8rem; } }
"""

# Slider -> paths cut at step k, markers at step k (the last iterate of a run that stopped earlier), step lines.
SCRIPT = """
(function () {
  const figure = JSON.parse(document.getElementById("figure").textContent);
  const div = document.getElementById("views");
  // plotly.py writes numpy arrays as {dtype, bdata}: base64 of their bytes
  function values(a) {
    if (!a.bdata) return a;
    if (a.dtype !== "f8") throw new Error(`a path of dtype ${a.dtype}: float64 expected`);
    return new Float64Array(Uint8Array.from(atob(a.bdata), (c) => c.charCodeAt(0)).buffer);
  }
  const paths = [];
  figure.data.forEach((trace, index) => {
    if (String(trace.meta).startsWith("run-") && trace.xaxis === "x") {
      paths.push({ index, x: values(trace.x), y: values(trace.y) });
    }
  });
  const marker = figure.data.findIndex((trace) => trace.meta === "step-marker");
  const slider = document.getElementById("step");
  const shown = document.getElementById("step-shown");
  function show(k) {
    const at = paths.map((p) => Math.min(k, p.x.length - 1));
    const x = paths.map((p, j) => p.x.slice(0, at[j] + 1));
    const y = paths.map((p, j) => p.y.slice(0, at[j] + 1));
    const indices = paths.map((p) => p.index);
    if (marker >= 0) {
      x.push(paths.map((p, j) => p.x[at[j]]));
      y.push(paths.map((p, j) => p.y[at[j]]));
      indices.push(marker);
    }
    const layout = {};
    (figure.layout.shapes || []).forEach((_, i) => { layout[`shapes[${i}].x0`] = k; layout[`shapes[${i}].x1`] = k; });
    shown.textContent = `step ${k}`;
    return Plotly.update(div, { x, y }, layout, indices);
  }
  if (window.innerWidth < 700) {  // a phone: the three views one above the other, each its subplot title on top
    const rows = [[0.69, 1], [0.36, 0.6], [0, 0.27]];
    ["", "2", "3"].forEach((n, i) => {
      figure.layout[`xaxis${n}`].domain = [0, 1];
      figure.layout[`yaxis${n}`].domain = rows[i];
    });
    (figure.layout.annotations || []).slice(0, 3).forEach((a, i) => Object.assign(a, { x: 0.5, y: rows[i][1] }));
    figure.layout.height = 1150;
  }
  Plotly.newPlot(div, figure.data, figure.layout, { displaylogo: false, responsive: true }).then(() => {
    slider.addEventListener("input", () => show(Number(slider.value)));
    document.body.dataset.ready = "true";
  });
})();
"""


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js as the installed plotly package ships it (4.8 MB, read once)."""
    return PLOTLY_JS.read_text(encoding="utf-8")


def _script_json(value) -> str:
    """JSON safe inside a <script> element: no "</" can close it."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode().replace("</", "<\\/")


def report_html(scene: Scene, plan: Plan, trajectories: Sequence[Trajectory], permalink: str,
                mesh_n: int = PAGE_MESH_N) -> str:
    """The report of a computed scene, `permalink` the page's link to it."""
    figure = figure_of(scene, plan, trajectories, view="contour", mesh_n=mesh_n).to_plotly_json()
    figure["layout"]["height"] = 520
    title = html.escape(plan.landscape.title if scene.landscape.id != "expression"
                        else f"f(x, y) = {scene.landscape.params['f']}")
    runs = len(scene.runs)
    link = html.escape(permalink, quote=True)
    scene_json = html.escape(orjson.dumps(scene.model_dump(), option=orjson.OPT_INDENT_2).decode())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Optiscape: {title}</title>
<style>{STYLE}</style>
<script>{plotly_js()}</script>
</head>
<body>
<h1>Optiscape: {title}</h1>
<p class="lead">{runs} run{'s' if runs != 1 else ''}, {scene.steps} steps. Drag the slider to see where each run is
at a step; hover a path or a curve for its numbers.</p>
<div id="views"></div>
<div class="timeline"><label for="step">step</label>
<input type="range" id="step" min="0" max="{scene.steps}" value="{scene.steps}" step="1">
<output id="step-shown" for="step">step {scene.steps}</output></div>
<div class="scroll">{summary_html(scene, summary_rows(scene, trajectories))}</div>
<h2>Permalink</h2>
<p>Open this scene live in Optiscape: <a class="permalink" href="{link}">{link}</a></p>
<h2>Scene</h2>
<pre id="scene">{scene_json}</pre>
<script type="application/json" id="figure">{_script_json(figure)}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
