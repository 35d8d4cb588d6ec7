"""The real page in headless Debian Chromium (Playwright) against the real server: what a user sees and does.

Screenshots go to test-artifacts/ (not in git)."""
import csv
import io
import os
import time
from pathlib import Path

import httpx
import pytest

from app.contract.permalink import encode
from browser import ARGS, CHROMIUM
from server import ROOT, serving

playwright_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the CI script does)", pytrace=False)

ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    with serving(env={"OPTISCAPE_JAX_CACHE": str(tmp_path_factory.mktemp("jax"))}) as base:
        deadline = time.monotonic() + 120
        while not httpx.get(base + "/api/health").json()["warm"] and time.monotonic() < deadline:
            time.sleep(0.2)
        yield base


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.expected_console = set()  # exact messages a test provokes on purpose
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()
    assert [p for p in problems if p not in page.expected_console] == [], problems


def wait_until(page, expression, timeout=60.0):
    """Poll a JS expression through page.evaluate (CDP). Playwright's wait_for_function evaluates its string
    with eval inside the page, which the app's Content-Security-Policy forbids, as it should."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"never true: {expression}")
        time.sleep(0.05)


def ready(page):
    page.wait_for_selector("body[data-status=ready]", timeout=60_000)


def settle(page, action):
    """Do something that recomputes, and wait for the new picture."""
    page.evaluate("document.body.dataset.status = 'stale'")
    action()
    ready(page)


def traces(page, view):
    return page.evaluate(f"document.getElementById('{view}').data.map(t => ({{type: t.type, x: t.x, y: t.y}}))")


def test_the_page_draws_all_three_views(page, url):
    page.goto(url + "/")
    ready(page)
    landscape = traces(page, "view-landscape")
    assert landscape[0]["type"] == "surface" and [t["type"] for t in landscape[1:4]] == ["scatter3d"] * 3
    lr, loss = traces(page, "view-lr"), traces(page, "view-loss")
    assert len(lr) == 3 and all(len(t["y"]) == 500 for t in lr)
    assert len(loss) == 3 and all(len(t["y"]) == 501 for t in loss)
    assert page.locator("#summary tbody tr").count() == 3
    assert page.locator("#controls select[data-loc='runs.0.schedule.id']").input_value() == "constant"


def test_changing_a_schedule_changes_the_lr_curve(page, url):
    page.goto(url + "/")
    ready(page)
    before = traces(page, "view-lr")[0]["y"]
    settle(page, lambda: page.select_option("select[data-loc='runs.0.schedule.id']", "step"))
    after = traces(page, "view-lr")[0]["y"]
    assert before[0] == after[0] and after[100] == pytest.approx(after[0] / 2) and after[499] < after[0] / 10
    # a parameter typed in a generated control is used, and its step_size default follows T/5
    settle(page, lambda: page.fill("input[data-loc='runs.0.schedule.params.gamma']", "0.25") or
           page.press("input[data-loc='runs.0.schedule.params.gamma']", "Enter"))
    assert traces(page, "view-lr")[0]["y"][100] == pytest.approx(after[0] / 4)
    assert page.locator("input[data-loc='runs.0.schedule.params.step_size']").get_attribute("placeholder") == "100"


def test_adding_duplicating_and_removing_runs(page, url):
    page.goto(url + "/")
    ready(page)
    settle(page, lambda: page.click("#add-run"))
    assert len(traces(page, "view-lr")) == 4 and page.locator("#summary tbody tr").count() == 4
    settle(page, lambda: page.click("fieldset[data-run='1'] button[title=duplicate]"))
    assert len(traces(page, "view-loss")) == 5
    assert traces(page, "view-loss")[2]["y"] == traces(page, "view-loss")[1]["y"]
    settle(page, lambda: page.click("fieldset[data-run='0'] button[title=remove]"))
    assert len(traces(page, "view-loss")) == 4


def test_clicking_the_contour_sets_the_selected_runs_start(page, url):
    page.goto(url + "/")
    ready(page)
    page.click("fieldset[data-run='1'] input[type=radio]")
    page.click("#mode")
    wait_until(page, "document.getElementById('view-landscape').data[0].type === 'contour'")
    box = page.locator("#view-landscape .nsewdrag").bounding_box()
    settle(page, lambda: page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25))
    start = page.evaluate("window.optiscape.scene.runs[1].start")
    assert start[0] == pytest.approx(1.0, abs=0.05) and start[1] == pytest.approx(2.0, abs=0.05)
    assert float(page.input_value("input[data-loc='runs.1.start.0']")) == start[0]
    assert page.evaluate("window.optiscape.results[1].x[0]") == start[0]
    assert page.evaluate("window.optiscape.scene.runs[0].start") == [-2, 2]


def test_the_url_reproduces_the_scene_and_its_numbers(page, browser, url):
    page.goto(url + "/")
    ready(page)
    entries = page.evaluate("history.length")
    settle(page, lambda: page.select_option("select[data-loc='runs.2.optimizer.id']", "yogi"))
    settle(page, lambda: page.select_option("select[data-loc='landscape.id']", "peaks"))
    link = page.url
    assert "?s=" in link and page.evaluate("history.length") == entries  # replaced, not piled up
    results = page.evaluate("window.optiscape.results.map(r => r.loss)")
    other = browser.new_context().new_page()
    other.goto(link)
    ready(other)
    assert other.evaluate("window.optiscape.effective") == page.evaluate("window.optiscape.effective")
    assert other.evaluate("window.optiscape.results.map(r => r.loss)") == results
    assert other.locator("select[data-loc='landscape.id']").input_value() == "peaks"
    other.context.close()


def test_export_csv_holds_every_step(page, url):
    page.goto(url + "/")
    ready(page)
    page.click("details.export summary")
    with page.expect_download() as info:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert len(rows) == 3 * 501 and rows[0]["step"] == "0" and rows[0]["x"] == "-2"
    assert float(rows[500]["loss"]) == page.evaluate("window.optiscape.results[0].loss[500]")
    with page.expect_download() as info:
        page.click("#export-png")
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as info:
        page.click("#export-script")
    script = Path(info.value.path()).read_text()
    assert "import optax" in script and "optax.sgd(lr)" in script and "'label': 'SGD, constant'" in script


def test_bad_values_are_shown_next_to_their_control(page, url):
    page.goto(url + "/")
    ready(page)
    lr = "input[data-loc='runs.0.schedule.params.lr']"
    page.fill(lr, "20")
    page.press(lr, "Enter")
    page.wait_for_selector("body[data-status=invalid]")
    assert page.get_attribute(lr, "aria-invalid") == "true"
    assert page.text_content("[data-error-for='runs.0.schedule.params.lr']") == "must be in (0, 10], got 20"
    # a rule only the server knows (base_lr ≤ max_lr) comes back as a 422 and lands next to its control; the
    # browser itself logs the 422 answer, which the page handled
    page.expected_console.add("Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")
    page.fill(lr, "0.001")
    page.press(lr, "Enter")
    ready(page)
    page.select_option("select[data-loc='runs.0.schedule.id']", "triangular")
    ready(page)
    base = "input[data-loc='runs.0.schedule.params.base_lr']"
    page.fill(base, "5")
    page.press(base, "Enter")
    page.wait_for_selector("body[data-status=invalid]")
    assert "at most max_lr" in page.text_content("[data-error-for='runs.0.schedule.params.base_lr']")


def test_timeline_plays_steps_and_hover_highlights(page, url):
    page.goto(url + "/")
    ready(page)
    page.click("#play")
    wait_until(page, "window.optiscape.step !== null && window.optiscape.step > 20")
    page.click("#play")
    stopped = page.evaluate("window.optiscape.step")
    time.sleep(0.3)
    assert page.evaluate("window.optiscape.step") == stopped
    marker = page.evaluate("document.getElementById('view-landscape').data.filter(t => t.meta === 'step-marker')[0]")
    assert marker["x"][0] == page.evaluate(f"window.optiscape.results[0].x[{stopped}]")
    assert page.evaluate("document.getElementById('view-lr').layout.shapes[0].x0") == stopped
    page.focus("#timeline")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.optiscape.step") == stopped - 1


def test_paths_appear_while_a_long_scene_streams_and_stops_are_marked(page, url):
    scene = {"landscape": {"id": "rosenbrock"}, "steps": 40000, "runs": [
        {"optimizer": {"id": "sgd"}, "schedule": {"id": "cosine", "params": {"lr": 1e-3}}, "start": [-1.5, 2]},
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.01}}, "start": [-1.5, 2]}]}
    page.goto(f"{url}/?s={encode(scene)}")
    ready(page)
    assert page.evaluate("window.optiscape.partialDraws") > 0
    assert len(traces(page, "view-loss")[0]["y"]) == 40001
    stopped = page.evaluate("window.optiscape.results[1]")
    assert stopped["status"] in ("diverged", "escaped")
    cross = page.evaluate("document.getElementById('view-landscape').data.find(t => t.meta === 'stopped')")
    assert cross["x"] == [stopped["x"][-1]] and cross["text"] == [f"{stopped['status']} at {stopped['stopped_at']}"]
    assert f"{stopped['status']} at step {stopped['stopped_at']}" in page.text_content("#summary tbody tr:nth-child(2)")


def test_a_preset_opens_with_its_explanation_and_stays_live(page, url):
    page.goto(url + "/")
    ready(page)
    page.locator("#families").scroll_into_view_if_needed()
    wait_until(page, "document.querySelectorAll('#families .chart .main-svg').length >= 5")
    assert page.evaluate("[...document.querySelectorAll('#families .chart')].map(c => c.data.length)") == [1, 3, 3, 3, 3]
    settle(page, lambda: page.click("button[data-preset=saddle_line]"))
    assert page.is_visible("#preset-box") and "Saddles" in page.text_content("#preset-title")
    assert "1e−6" in page.text_content("#preset-text")
    labels = page.evaluate("window.optiscape.effective.runs.map(r => r.label)")
    statuses = dict(zip(labels, page.evaluate("window.optiscape.results.map(r => r.status)")))
    assert statuses["Yogi"] == "escaped" and statuses["SGD"] == "ok"
    assert page.evaluate("window.optiscape.results[0].y.every(v => v === 0)")
    link = page.url
    settle(page, lambda: page.select_option("select[data-loc='runs.0.optimizer.id']", "yogi"))  # still live
    assert page.evaluate("window.optiscape.results[0].status") == "escaped" and page.url != link
    other = page.context.new_page()
    other.goto(link)
    ready(other)
    assert other.is_visible("#preset-box") and other.evaluate("window.optiscape.scene.preset") == "saddle_line"
    other.close()


def explore(page, tab):
    page.click(f"#explore [data-tab={tab}]")
    page.evaluate("document.body.dataset.explore = 'stale'")
    page.click("#explore-go")
    page.wait_for_selector("body[data-explore=ready]", timeout=120_000)


def test_explore_basins_sweep_range_test_and_seeds(page, url):
    scene = {"landscape": {"id": "peaks"}, "steps": 300, "runs": [
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.01}}, "start": [0, 1.5],
         "noise": {"std": 2.0, "seed": 0}}]}
    page.goto(f"{url}/?s={encode(scene)}")
    ready(page)
    page.locator("#explore").scroll_into_view_if_needed()
    explore(page, "basins")
    heatmap = page.evaluate("document.getElementById('explore-plot').data[0]")
    assert heatmap["type"] == "heatmap" and len(heatmap["z"]) == 32
    page.click("#explore [data-tab=sweep]")
    page.select_option("select[name=y_param]", "steps")
    page.fill("input[name=y_from]", "100")
    page.fill("input[name=y_to]", "300")
    page.fill("input[name=y_n]", "3")
    page.select_option("select[name=metric]", "status")
    explore(page, "sweep")
    heatmap = page.evaluate("document.getElementById('explore-plot').data[0]")
    assert heatmap["type"] == "heatmap" and heatmap["y"] == [100, 200, 300] and len(heatmap["x"]) == 16
    page.select_option("select[name=y_param]", "none")
    explore(page, "sweep")
    curve = page.evaluate("document.getElementById('explore-plot').data[0]")
    assert curve["type"] == "scatter" and len(curve["x"]) == 16
    settle(page, lambda: page.evaluate(
        "document.getElementById('explore-plot').emit('plotly_click', {points: [{x: 0.02, y: 1}]})"))
    runs = page.evaluate("window.optiscape.effective.runs")
    assert len(runs) == 2 and runs[1]["schedule"]["params"]["lr"] == 0.02
    explore(page, "range")
    assert "suggested: base_lr" in page.text_content("#explore-status")
    settle(page, lambda: page.click("#use-bounds"))
    schedule = page.evaluate("window.optiscape.effective.runs[0].schedule")
    assert schedule["id"] == "triangular" and schedule["params"]["base_lr"] < schedule["params"]["max_lr"]
    explore(page, "seeds")
    assert page.is_visible("#explore-plot-2")
    assert len(page.evaluate("document.getElementById('explore-plot-2').data")) == 1 + 8
    bands = page.evaluate("document.getElementById('view-loss').data.filter(t => t.meta === 'band').length")
    assert bands == 3  # mean and spread on the main loss trace too
    settle(page, lambda: page.click("#add-run"))
    page.click("#explore [data-tab=basins]")
    page.select_option("select[name=compare]", index=1)
    page.evaluate("document.body.dataset.explore = 'stale'")
    page.click("#explore-go")
    page.wait_for_selector("body[data-explore=ready]", timeout=120_000)
    assert page.is_visible("#explore-plot-2")
    assert page.evaluate("document.getElementById('explore-plot-2').data[0].type") == "heatmap"


def test_typing_a_function_and_a_schedule(page, url):
    page.goto(url + "/")
    ready(page)
    settle(page, lambda: page.select_option("select[data-loc='landscape.id']", "expression"))
    f = "input[data-loc='landscape.params.f']"
    settle(page, lambda: page.fill(f, "(x-1)^2 + 4*(y+1)^2") or page.press(f, "Enter"))
    assert page.evaluate("window.optiscape.effective.landscape.params.f") == "(x-1)^2 + 4*(y+1)^2"
    assert "f(x, y) = (x-1)^2" in page.evaluate("document.getElementById('view-landscape').layout.title.text")
    page.fill(f, "(x-1)^^2")
    page.expected_console.add("Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")
    page.press(f, "Enter")
    page.wait_for_selector("body[data-status=invalid]")
    assert "position 6" in page.text_content("[data-error-for='landscape.params.f']")
    settle(page, lambda: page.fill(f, "x^2 + y^2") or page.press(f, "Enter"))
    settle(page, lambda: page.select_option("select[data-loc='runs.0.schedule.id']", "expression"))
    g = "input[data-loc='runs.0.schedule.params.f']"
    settle(page, lambda: page.fill(g, "0.2 * 0.5^floor(k/100)") or page.press(g, "Enter"))
    lr = traces(page, "view-lr")[0]["y"]
    assert lr[0] == 0.2 and lr[100] == 0.1 and lr[499] == 0.2 / 16


def test_the_api_docs_render_offline_under_the_same_policy(page, url):
    """/docs draws every operation with the app's own files (no CDN: this browser has no network) and breaks no
    rule of the Content-Security-Policy (a violation is a console error, which fails the test)."""
    operations = sum(len(methods) for methods in httpx.get(url + "/openapi.json").json()["paths"].values())
    page.goto(url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() == operations
    page.click("#operations-default-post_basins_api_basins_post .opblock-summary")
    page.wait_for_selector("#operations-default-post_basins_api_basins_post .responses-wrapper")
    responses = page.text_content("#operations-default-post_basins_api_basins_post .responses-wrapper")
    assert '"steps_to_tolerance"' in responses and '"unsettled": -3' in responses  # the typed answer's example
    page.screenshot(path=str(ARTIFACTS / "docs_basins.png"))
