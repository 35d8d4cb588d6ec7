"""What `optiscape.run` returns: a computed scene, its runs as numpy arrays, their status and summary, and the
page's three views as a Plotly figure. A Result shows itself in Jupyter as its summary table; `figure()` is a
`plotly.graph_objects.Figure`, which Jupyter draws inline.

Example:
    >>> import optiscape
    >>> result = optiscape.run({"landscape": {"id": "booth"}, "steps": 2, "runs": [{"start": [0.0, 0.0]}]})
    >>> result.runs[0].x.round(4).tolist(), result.status
    ([0.0, 0.34, 0.6156], ['ok'])
"""
from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from app.contract.compute import Computed
from app.contract.figures import figure_of
from app.contract.scene import Scene
from app.contract.summary_table import summary_html, summary_rows
from app.engine.trajectories import Trajectory


@dataclass
class RunResult(Trajectory):
    """One run: the engine's Trajectory (numpy float64 arrays indexed by step: x, y, loss for the iterates θ_0 ..
    θ_n; lr, grad_norm, step_norm for the updates leaving θ_0 .. θ_{n-1}; status "ok", "diverged" or "escaped";
    stopped_at, None when it did not stop; summary; Lookahead's fast_x, fast_y, else None) with its label and colour
    as the page shows them."""

    label: str = ""
    colour: str = ""


class Result:
    """A computed scene: `scene` (the normalised Scene), `runs` (RunResult each, in scene order), `status` and
    `summary` (one entry per run), `figure(view, step)`."""

    def __init__(self, computed: Computed):
        self._computed = computed
        self.scene: Scene = computed.scene
        self.runs: list[RunResult] = [RunResult(**vars(t), label=run.label, colour=run.colour)
                                      for run, t in zip(computed.scene.runs, computed.trajectories)]

    @property
    def status(self) -> list[str]:
        """Each run's status: "ok", "diverged" or "escaped"."""
        return [run.status for run in self.runs]

    @property
    def summary(self) -> list[dict]:
        """One row per run, as the page's summary table: label, colour, final_loss, best_loss, status, stopped_at,
        nearest_minimum (its name or point), distance_to_nearest_minimum, steps_to_tolerance (None: never)."""
        return summary_rows(self.scene, self._computed.trajectories)

    def figure(self, view: str = "contour", step: int | None = None) -> go.Figure:
        """The landscape ("contour" or "3d"), learning-rate and loss views side by side, at `step` (None: the last)."""
        return figure_of(*self._computed, view=view, step=step)

    def __repr__(self) -> str:
        return (f"<optiscape.Result {self.scene.landscape.id}, {self.scene.steps} steps: "
                + "; ".join(f"{run.label}: {run.status}, final loss {run.summary['final_loss']:.6g}"
                            for run in self.runs) + ">")

    def _repr_html_(self) -> str:
        """The summary table, each run in its colour (Jupyter shows it for a Result at the end of a cell)."""
        return summary_html(self.scene, self.summary)
