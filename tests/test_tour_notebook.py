"""examples/tour.ipynb runs from top to bottom in a real Jupyter kernel (nbclient + ipykernel), and shows what it
says: a preset's status, its summary table, the figures as Plotly output, the schedules compared, a permalink
that reads back the same scene, a bad value refused by name."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def cells():
    notebook = nbformat.read(ROOT / "examples" / "tour.ipynb", as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # kept without outputs
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def text(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_the_tour_runs_a_preset_and_shows_its_table_and_figure(cells):
    assert "status: ['ok', 'ok', 'ok', 'ok', 'ok', 'escaped']" in text(cells[0])
    table = cells[1].outputs[0]["data"]["text/html"]
    assert "Summary" in table and "escaped at step" in table
    figure = next(o for o in cells[2].outputs if PLOTLY in o.get("data", {}))["data"][PLOTLY]
    assert [t["type"] for t in figure["data"]][:2] == ["contour", "scatter"]
    assert figure["layout"]["yaxis3"]["type"] == "log"


def test_the_tour_compares_schedules_in_3d_and_links_back(cells):
    compared = text(cells[3]).splitlines()
    assert [line.split()[:2] for line in compared] == [["constant", "escaped"], ["cosine", "escaped"],
                                                       ["warm-up", "ok"]]
    assert "float64 201" in text(cells[4])
    figure = next(o for o in cells[5].outputs if PLOTLY in o.get("data", {}))["data"][PLOTLY]
    assert figure["data"][0]["type"] == "surface"
    assert [t["line"]["color"] for t in figure["data"] if t.get("meta") == "run-2"] == ["#2ca02c"] * 3
    assert "same scene: True" in text(cells[6]) and "http://127.0.0.1:8000/?s=" in text(cells[6])
    assert "refused: runs.0.schedule.params.lr: must be in (0, 10], got 50" in text(cells[7])
