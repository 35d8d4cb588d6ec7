"""The page's three views of a computed scene as one Plotly figure: the landscape (contour or 3D surface) with every
run's path, the learning-rate curves and the loss traces, side by side, drawn as the page draws them
(frontend/js/plots.js): the runs' colours from the normalised scene (the catalog's palette), Viridis (RdBu for a
diverging landscape) under the paths, f shown as log10(f − min + 1) or √(f − min) where the landscape asks for it,
the learning-rate axis log when the rates span more than a decade, the loss as f(θ_k) − f* on a log axis.

Traces carry the page's `meta`: `run-i` (a run's path and curves), `minima`, `step-marker` (where each run is at the
step shown), `stopped`; the step is also a dotted line on both curves (the layout's two shapes).

Example:
    >>> from app.contract.compute import computed
    >>> c = computed({"landscape": {"id": "booth"}, "steps": 20,
    ...               "runs": [{"schedule": {"id": "constant", "params": {"lr": 0.05}}}]})
    >>> fig = figure_of(*c, view="contour", mesh_n=20)
    >>> [trace.meta for trace in fig.data]
    ['landscape', 'minima', 'run-0', 'step-marker', 'run-0', 'run-0']
    >>> fig.data[2].line.color, fig.layout.yaxis2.type
    ('#1f77b4', 'linear')
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from landscapes import mesh

from ..engine.plan import Plan
from ..engine.trajectories import Trajectory
from .catalog import PAGE_MESH_N
from .scene import Scene

VIEWS = ("contour", "3d")
FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12}
CONTOUR_LEVELS = 16
# The page's colour scales are plotly.js's built-in "Viridis" and "RdBu" (frontend/js/plots.js names them); plotly.py
# would turn those names into scales of its own (its RdBu runs the other way), so their stops are written here.
# tests/test_python_api.py reads them back from the installed plotly.min.js.
VIRIDIS = [(min(16 * i / 255, 1), colour) for i, colour in enumerate(
    ["#440154", "#48186a", "#472d7b", "#424086", "#3b528b", "#33638d", "#2c728e", "#26828e", "#21918c", "#1fa088",
     "#28ae80", "#3fbc73", "#5ec962", "#84d44b", "#addc30", "#d8e219", "#fde725"])]
RDBU = [(0, "rgb(5,10,172)"), (0.35, "rgb(106,137,247)"), (0.5, "rgb(190,190,190)"), (0.6, "rgb(220,170,132)"),
        (0.7, "rgb(230,145,90)"), (1, "rgb(178,10,28)")]
LOSS_FLOOR = 1e-16  # a loss gap shown on a log axis never goes below this (the page's floor)


class FigureError(ValueError):
    """A figure that cannot be drawn as asked (an unknown view, a step out of range): says which argument."""


def z_transform(colour_scale: str, z_min: float):
    """The display transform of f and its label (the page's `zTransform`).

    >>> f, label = z_transform("log", 1.0)
    >>> float(f(np.array(100.0))), label
    (2.0, 'log10(f − min + 1)')
    """
    if colour_scale == "log":
        return (lambda z: np.log10(z - z_min + 1)), "log10(f − min + 1)"
    if colour_scale == "sqrt":
        return (lambda z: np.sqrt(np.maximum(z - z_min, 0))), "√(f − min)"
    return (lambda z: z), "f"


def lr_axis_type(rates: Sequence[np.ndarray]) -> str:
    """"log" when the positive rates span more than a decade (highest > 10 × lowest), else "linear".

    >>> lr_axis_type([np.array([0.1, 0.001])]), lr_axis_type([np.array([0.1, 0.05, 0.0])])
    ('log', 'linear')
    """
    positive = np.concatenate([np.asarray(r)[np.asarray(r) > 0] for r in rates] or [np.array([])])
    return "log" if positive.size and positive.max() > 10 * positive.min() else "linear"


def loss_offset(losses: Sequence[np.ndarray], target: float | None) -> float:
    """What the loss view subtracts before its log axis: f* (when known) or the lowest loss drawn, whichever is lower."""
    finite = [loss[np.isfinite(loss)] for loss in losses]
    lowest = min((float(values.min()) for values in finite if values.size), default=0.0)
    return min(target, lowest) if target is not None else lowest


def shown_loss(loss: np.ndarray, offset: float) -> np.ndarray:
    """f(θ_k) − offset, floored at LOSS_FLOOR for the log axis."""
    return np.maximum(np.asarray(loss, dtype=np.float64) - offset, LOSS_FLOOR)


def visible_runs(scene: Scene, trajectories: Sequence[Trajectory]) -> list[tuple[int, object, Trajectory]]:
    """(index, run, trajectory) of every run the scene shows."""
    return [(i, run, t) for i, (run, t) in enumerate(zip(scene.runs, trajectories)) if run.visible and len(t.x)]


def figure_of(scene: Scene, plan: Plan, trajectories: Sequence[Trajectory], view: str = "contour",
              step: int | None = None, mesh_n: int = PAGE_MESH_N) -> go.Figure:
    """The three views of a computed scene at `step` (None: the last), `view` "contour" or "3d"."""
    if view not in VIEWS:
        raise FigureError(f"view must be one of {', '.join(map(repr, VIEWS))}, got {view!r}")
    if step is not None and not (isinstance(step, (int, np.integer)) and 0 <= step <= scene.steps):
        raise FigureError(f"step must be an integer in [0, {scene.steps}] (the scene's steps), got {step!r}")
    surface = view == "3d"
    landscape = plan.landscape
    xs, ys, zs = mesh(landscape, plan.landscape_params, mesh_n)
    finite = zs[np.isfinite(zs)]
    t, t_label = z_transform(landscape.colour_scale, float(finite.min()) if finite.size else 0.0)
    shown = np.where(np.isfinite(zs), t(np.where(np.isfinite(zs), zs, 0.0)), np.nan)
    runs = visible_runs(scene, trajectories)
    offset = loss_offset([tr.loss for _, _, tr in runs], plan.target)
    loss_title = "f(θ_k) − f*" if plan.target is not None else "f(θ_k) − min"
    rates = [tr.lr for _, _, tr in runs]

    title = (f"f(x, y) = {scene.landscape.params['f']}" if scene.landscape.id == "expression" else landscape.title)
    fig = make_subplots(rows=1, cols=3, column_widths=[0.4, 0.3, 0.3], horizontal_spacing=0.07,
                        specs=[[{"type": "scene" if surface else "xy"}, {"type": "xy"}, {"type": "xy"}]],
                        subplot_titles=(title, "Learning rate η(k)", f"Loss {loss_title}"))
    colours = {"colorscale": RDBU if landscape.colour_scale == "diverging" else VIRIDIS,
               "reversescale": landscape.colour_scale == "diverging", "showscale": False}
    if surface:
        fig.add_trace(go.Surface(x=xs, y=ys, z=shown, opacity=0.88, hoverinfo="skip", meta="landscape", **colours,
                                 contours={"z": {"show": True, "usecolormap": True, "project": {"z": True}}}), 1, 1)
    else:
        low, high = float(np.nanmin(shown)), float(np.nanmax(shown))
        size = (high - low) / CONTOUR_LEVELS or 1.0
        fig.add_trace(go.Contour(x=xs, y=ys, z=shown, autocontour=False, hoverinfo="skip", meta="landscape",
                                 contours={"coloring": "heatmap", "showlines": True, "start": low + size / 2,
                                           "end": high, "size": size},
                                 line={"width": 0.5, "color": "rgba(0,0,0,0.25)"}, **colours), 1, 1)
        minima = plan.minima
        fig.add_trace(go.Scatter(x=[p.x for p in minima], y=[p.y for p in minima], mode="markers", name="minima",
                                 meta="minima", showlegend=False, hoverinfo="text",
                                 text=[f"{p.name or 'minimum'} f = {p.value}" for p in minima],
                                 marker={"symbol": "star", "size": 12, "color": "#fff",
                                         "line": {"color": "#000", "width": 1}}), 1, 1)

    def at(tr: Trajectory) -> int:
        return len(tr.x) - 1 if step is None else min(step, len(tr.x) - 1)

    def point_trace(**kw):
        return go.Scatter3d(**kw) if surface else go.Scatter(**{k: v for k, v in kw.items() if k != "z"})

    for i, run, tr in runs:
        k = at(tr) + 1
        fig.add_trace(point_trace(
            x=tr.x[:k], y=tr.y[:k], z=t(tr.loss[:k]), mode="lines", name=run.label, meta=f"run-{i}",
            legendgroup=f"run-{i}", line={"color": run.colour, "width": 5 if surface else 2.5},
            customdata=np.stack([np.arange(k), tr.loss[:k]], axis=1),
            hovertemplate=f"<b>{run.label}</b><br>step %{{customdata[0]}}<br>x %{{x:.5g}}, y %{{y:.5g}}"
                          "<br>f %{customdata[1]:.6g}<extra></extra>"), 1, 1)
    if runs:
        ends = [at(tr) for _, _, tr in runs]
        fig.add_trace(point_trace(
            x=[tr.x[k] for (_, _, tr), k in zip(runs, ends)], y=[tr.y[k] for (_, _, tr), k in zip(runs, ends)],
            z=[float(t(tr.loss[k])) for (_, _, tr), k in zip(runs, ends)], mode="markers", meta="step-marker",
            showlegend=False, hoverinfo="skip",
            marker={"color": [run.colour for _, run, _ in runs], "size": 5 if surface else 10,
                    "line": {"color": "#000", "width": 1 if surface else 1.5}}), 1, 1)
    stopped = [(run, tr) for _, run, tr in runs if tr.status != "ok"]
    if stopped:
        fig.add_trace(point_trace(
            x=[tr.x[-1] for _, tr in stopped], y=[tr.y[-1] for _, tr in stopped],
            z=[float(t(tr.loss[-1])) for _, tr in stopped], mode="markers+text", meta="stopped", showlegend=False,
            text=[f"{tr.status} at {tr.stopped_at}" for _, tr in stopped], textposition="top center",
            hoverinfo="text", marker={"symbol": "x", "size": 6 if surface else 12,
                                      "color": [run.colour for run, _ in stopped],
                                      "line": {"color": "#000", "width": 1}}), 1, 1)
    for i, run, tr in runs:
        fig.add_trace(go.Scatter(x=np.arange(len(tr.lr)), y=tr.lr, mode="lines", name=run.label, meta=f"run-{i}",
                                 legendgroup=f"run-{i}", showlegend=False, line={"color": run.colour, "width": 2},
                                 hovertemplate=f"{run.label}: η = %{{y:.4g}}<extra></extra>"), 1, 2)
    for i, run, tr in runs:
        fig.add_trace(go.Scatter(x=np.arange(len(tr.loss)), y=shown_loss(tr.loss, offset), mode="lines",
                                 name=run.label, meta=f"run-{i}", legendgroup=f"run-{i}", showlegend=False,
                                 customdata=tr.loss, line={"color": run.colour, "width": 2},
                                 hovertemplate=f"{run.label}: f = %{{customdata:.6g}}<extra></extra>"), 1, 3)

    line = {"color": "rgba(0,0,0,0.45)", "width": 1, "dash": "dot"}
    marked = scene.steps if step is None else step
    for col in (2, 3):  # plotly's add_vline fails beside a 3D scene: the shapes are written out
        axes = fig.get_subplot(1, col)
        x_ref, y_ref = (axis.plotly_name.replace("axis", "") for axis in (axes.xaxis, axes.yaxis))
        fig.add_shape(type="line", x0=marked, x1=marked, y0=0, y1=1, xref=x_ref, yref=f"{y_ref} domain", line=line)
    (x0, x1), (y0, y1) = landscape.domain
    if surface:
        fig.update_scenes(xaxis={"title": {"text": "x"}, "range": [x0, x1]},
                          yaxis={"title": {"text": "y"}, "range": [y0, y1]}, zaxis={"title": {"text": t_label}},
                          aspectmode="manual", aspectratio={"x": 1, "y": 1, "z": 0.6},
                          camera={"eye": {"x": 1.5, "y": -1.5, "z": 1.1}})
    else:
        fig.update_xaxes(title_text="x", range=[x0, x1], constrain="domain", showgrid=False, zeroline=False,
                         row=1, col=1)
        fig.update_yaxes(title_text="y", range=[y0, y1], scaleanchor="x", constrain="domain", showgrid=False,
                         zeroline=False, row=1, col=1)
    for col in (2, 3):
        fig.update_xaxes(title_text="step k", range=[0, scene.steps], row=1, col=col)
    fig.update_yaxes(title_text="η", type=lr_axis_type(rates), exponentformat="power", row=1, col=2)
    fig.update_yaxes(title_text=loss_title, type="log", exponentformat="power", row=1, col=3)
    fig.update_layout(font=FONT, height=460, margin={"l": 50, "r": 20, "t": 40, "b": 40}, hovermode="closest",
                      legend={"orientation": "h", "x": 0, "y": -0.15, "yanchor": "top"},
                      paper_bgcolor="#fff", plot_bgcolor="#fff")
    return fig
