"""The real page in headless Debian Chromium (Playwright) against the real server: what a user sees and does.

Screenshots go to test-artifacts/ (not in git)."""
import csv
import html
import http.server
import io
import json
import os
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from app.cli import main as optiscape_cli
from app.contract.compute import run_scene
from app.contract.permalink import decode, encode
from browser import ARGS, CHROMIUM
from server import ROOT, serving

playwright_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(CHROMIUM):
    pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the CI script does)", pytrace=False)

ARTIFACTS = ROOT / "test-artifacts"
TWO_RUNS = {"landscape": {"id": "rosenbrock"}, "steps": 400, "runs": [
    {"label": "momentum", "optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.001}},
     "start": [-1.5, 2.0]},
    {"label": "Adam", "optimizer": {"id": "adam"}, "schedule": {"id": "cosine", "params": {"lr": 0.05}},
     "start": [-1.5, 2.0]}]}


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
def viewport():
    return {"width": 1600, "height": 1000}


@pytest.fixture
def page(browser, request, viewport):
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{e}\n{e.stack}"))
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
    """The traces of a view, arrays as lists (typed arrays included)."""
    return page.evaluate(f"""document.getElementById('{view}').data.map(t => ({{type: t.type, meta: t.meta ?? null,
        x: t.x ? Array.from(t.x) : null, y: t.y ? Array.from(t.y) : null}}))""")


def runs_of(page, view):
    """A view's traces of runs (meta run-i), in run order."""
    return [t for t in traces(page, view) if str(t["meta"]).startswith("run-")]


def result(page, run, field):
    return page.evaluate(f"Array.from(window.optiscape.results[{run}].{field})")


def assert_drawn(page, run):
    """Every view shows run `run`'s current result: the LR and loss curves are its values at the steps drawn (a
    curve is decimated to the view's pixels, never changed), the path starts and ends where the run does."""
    lr, loss = result(page, run, "lr"), result(page, run, "loss")
    drawn_lr = next(t for t in runs_of(page, "view-lr") if t["meta"] == f"run-{run}")
    assert drawn_lr["y"] == [lr[int(k)] for k in drawn_lr["x"]] and drawn_lr["x"][-1] == len(lr) - 1
    drawn_loss = next(t for t in runs_of(page, "view-loss") if t["meta"] == f"run-{run}")
    assert drawn_loss["x"][-1] == len(loss) - 1
    path = next(t for t in runs_of(page, "view-landscape") if t["meta"] == f"run-{run}")
    x, y = result(page, run, "x"), result(page, run, "y")
    assert (path["x"][0], path["y"][0], path["x"][-1], path["y"][-1]) == (x[0], y[0], x[-1], y[-1])


def test_the_page_draws_all_three_views_and_plays_its_first_scene_once(page, url):
    page.goto(url + "/")
    ready(page)
    assert page.evaluate("document.getElementById('view-background').data.map(t => t.type).join()") == "heatmap,contour"
    assert len(runs_of(page, "view-landscape")) == 3 and len(runs_of(page, "view-lr")) == 3
    assert len(runs_of(page, "view-loss")) == 3
    assert page.locator("#summary tbody tr").count() == 3
    assert page.locator("#controls select[data-loc='runs.0.schedule.id']").input_value() == "constant"
    assert "view=contour" in page.url
    # the default scene teaches one idea: one optimizer, three schedules, one run within the tolerance
    effective = page.evaluate("window.optiscape.effective.runs")
    assert len({r["optimizer"]["id"] for r in effective}) == 1 and len({r["schedule"]["id"] for r in effective}) == 3
    assert "253" in page.text_content("#summary tbody tr:nth-child(3)")
    assert page.is_visible("#preset-box") and "Warm-up" in page.text_content("#preset-title")
    # it plays once, from step 0 to the end, then shows the whole runs
    wait_until(page, "window.optiscape.playing && window.optiscape.step > 50")
    wait_until(page, "!window.optiscape.playing && window.optiscape.step === null", timeout=30)
    for run in range(3):
        assert_drawn(page, run)
    # each view names its runs in the runs' colours
    colours = page.evaluate("window.optiscape.effective.runs.map(r => r.colour)")
    for head in ("#head-landscape", "#head-lr", "#head-loss"):
        assert page.locator(f"{head} .legend li").all_text_contents() == ["constant", "warm-up + cosine", "1cycle"]
        swatches = page.evaluate(f"[...document.querySelectorAll('{head} .legend .swatch')]"
                                 ".map(s => getComputedStyle(s).backgroundColor)")
        assert swatches == [f"rgb({int(c[1:3], 16)}, {int(c[3:5], 16)}, {int(c[5:], 16)})" for c in colours]


def test_changing_a_schedule_changes_the_lr_curve(page, url):
    page.goto(f"{url}/?s={encode(TWO_RUNS)}")
    ready(page)
    settle(page, lambda: page.select_option("select[data-loc='runs.0.schedule.id']", "step"))
    after = result(page, 0, "lr")
    assert after[0] == 0.001 and after[80] == pytest.approx(after[0] / 2) and after[399] < after[0] / 10
    assert_drawn(page, 0)
    # a parameter typed in a generated control is used, and its step_size default follows T/5
    settle(page, lambda: page.fill("input[data-loc='runs.0.schedule.params.gamma']", "0.25") or
           page.press("input[data-loc='runs.0.schedule.params.gamma']", "Enter"))
    assert result(page, 0, "lr")[80] == pytest.approx(after[0] / 4)
    assert_drawn(page, 0)
    assert page.locator("input[type=number][data-loc='runs.0.schedule.params.step_size']").get_attribute("placeholder") == "80"


def test_adding_duplicating_and_removing_runs(page, url):
    page.goto(url + "/")
    ready(page)
    settle(page, lambda: page.click("#add-run"))
    assert len(runs_of(page, "view-lr")) == 4 and page.locator("#summary tbody tr").count() == 4
    settle(page, lambda: page.click("fieldset[data-run='1'] button[title=duplicate]"))
    assert len(runs_of(page, "view-loss")) == 5
    assert runs_of(page, "view-loss")[2]["y"] == runs_of(page, "view-loss")[1]["y"]
    colours = page.evaluate("window.optiscape.effective.runs.map(r => r.colour)")
    settle(page, lambda: page.click("fieldset[data-run='0'] button[title=remove]"))
    assert len(runs_of(page, "view-loss")) == 4
    assert page.evaluate("window.optiscape.effective.runs.map(r => r.colour)") == colours[1:]  # no run recoloured


def test_clicking_the_contour_sets_the_selected_runs_start(page, url):
    page.goto(url + "/")
    ready(page)
    page.click("fieldset[data-run='1'] input[type=radio]")
    assert page.evaluate("document.getElementById('view-background').data.map(t => t.type).join()") == "heatmap,contour"
    box = page.locator("#view-landscape .nsewdrag").bounding_box()
    settle(page, lambda: page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25))
    start = page.evaluate("window.optiscape.scene.runs[1].start")
    assert start[0] == pytest.approx(1.0, abs=0.05) and start[1] == pytest.approx(2.0, abs=0.05)
    assert float(page.input_value("input[type=number][data-loc='runs.1.start.0']")) == start[0]
    assert page.evaluate("window.optiscape.results[1].x[0]") == start[0]
    assert page.evaluate("window.optiscape.scene.runs[0].start") == [0, 2]


def test_the_url_reproduces_the_scene_and_its_numbers(page, browser, url):
    page.goto(url + "/")
    ready(page)
    entries = page.evaluate("history.length")
    settle(page, lambda: page.select_option("select[data-loc='runs.2.optimizer.id']", "yogi"))
    settle(page, lambda: page.select_option("select[data-loc='landscape.id']", "peaks"))
    link = page.url
    assert "?s=" in link and page.evaluate("history.length") == entries  # replaced, not piled up
    results = page.evaluate("window.optiscape.results.map(r => Array.from(r.loss))")
    other = browser.new_context().new_page()
    other.goto(link)
    ready(other)
    assert other.evaluate("window.optiscape.effective") == page.evaluate("window.optiscape.effective")
    assert other.evaluate("window.optiscape.results.map(r => Array.from(r.loss))") == results
    assert other.locator("select[data-loc='landscape.id']").input_value() == "peaks"
    other.context.close()


def test_export_csv_holds_every_step(page, url):
    page.goto(url + "/")
    ready(page)
    page.click("details.export summary")
    with page.expect_download() as info:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    lengths = page.evaluate("window.optiscape.results.map(r => r.x.length)")
    assert lengths == [19, 39, 501] and len(rows) == sum(lengths)  # two runs leave the map early
    assert rows[0]["step"] == "0" and rows[0]["x"] == "0" and rows[0]["status"] == "escaped"
    last = rows[-1]
    assert (last["run"], last["step"]) == ("2", "500") and float(last["loss"]) == page.evaluate("window.optiscape.results[2].loss[500]")
    with page.expect_download() as info:
        page.click("#export-png")
    assert Path(info.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as info:
        page.click("#export-script")
    script = Path(info.value.path()).read_text()
    assert "import optax" in script and "optax.sgd(lr, momentum=0.9)" in script and "'label': '1cycle'" in script


def test_bad_values_are_shown_next_to_their_control(page, url):
    page.goto(url + "/")
    ready(page)
    lr = "input[type=number][data-loc='runs.0.schedule.params.lr']"
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
    base = "input[type=number][data-loc='runs.0.schedule.params.base_lr']"
    page.fill(base, "5")
    page.press(base, "Enter")
    page.wait_for_selector("body[data-status=invalid]")
    assert "at most max_lr" in page.text_content("[data-error-for='runs.0.schedule.params.base_lr']")


def test_timeline_plays_steps_and_hover_highlights(page, url):
    page.goto(url + "/")
    ready(page)
    wait_until(page, "window.optiscape.playing")
    page.click("#play")  # the first scene plays by itself: pause it
    stopped = page.evaluate("window.optiscape.step")
    time.sleep(0.3)
    assert page.evaluate("window.optiscape.step") == stopped and not page.evaluate("window.optiscape.playing")
    page.click("#play")
    wait_until(page, f"window.optiscape.step > {stopped + 20}")
    page.click("#play")
    stopped = page.evaluate("window.optiscape.step")
    wait_until(page, "document.getElementById('view-lr').layout.shapes[0]?.x0 === window.optiscape.step")
    markers = page.evaluate("document.getElementById('view-landscape').data.find(t => t.meta === 'step-marker')")
    assert markers["x"][2] == page.evaluate(f"window.optiscape.results[2].x[{stopped}]")  # 1cycle runs all the way
    assert markers["x"][0] == page.evaluate("window.optiscape.results[0].x.at(-1)")  # constant stopped at 19
    page.focus("#timeline")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.optiscape.step") == stopped - 1


def test_hovering_a_path_shows_its_step_position_loss_and_rate(page, url):
    page.goto(f"{url}/?s={encode(TWO_RUNS)}")
    ready(page)
    assert not page.evaluate("window.optiscape.playing")  # a shared link does not play by itself
    gd = "document.getElementById('view-landscape')"
    curve = page.evaluate(f"{gd}.data.findIndex(t => t.meta === 'run-1')")
    point = page.evaluate(f"{gd}.data[{curve}].customdata.findIndex(c => c[0] >= 100)")
    box = page.locator("#view-landscape .nsewdrag").bounding_box()
    x, y = page.evaluate(f"[{gd}._fullLayout.xaxis.l2p({gd}.data[{curve}].x[{point}]), "
                         f"{gd}._fullLayout.yaxis.l2p({gd}.data[{curve}].y[{point}])]")
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#view-landscape .hoverlayer .hovertext")
    text = page.text_content("#view-landscape .hoverlayer .hovertext")
    # Plotly shows the nearest drawn point: where the path doubles back, that can be a step other than the one
    # aimed at, but it lies under the cursor and its numbers are its own
    shown = int(re.search(r"step (\d+)", text).group(1))
    shown_xy = page.evaluate(f"[{gd}._fullLayout.xaxis.l2p(window.optiscape.results[1].x[{shown}]), "
                             f"{gd}._fullLayout.yaxis.l2p(window.optiscape.results[1].y[{shown}])]")
    reach = page.evaluate(f"{gd}._fullLayout.hoverdistance")  # how far Plotly looks for the nearest point
    assert ((shown_xy[0] - x) ** 2 + (shown_xy[1] - y) ** 2) ** 0.5 <= reach
    rate = page.evaluate(f"window.optiscape.results[1].lr[{shown}].toPrecision(4)")
    assert "Adam" in text and f"η {rate}" in text and "x " in text and "f " in text
    assert page.evaluate("window.optiscape.step") == shown  # the other views show that step too, once drawn
    # (the page draws in its own loop, after the next frame: read the loss view's step line when it is there)
    wait_until(page, f"document.getElementById('view-loss').layout.shapes?.[0]?.x0 === {shown}")


def test_paths_appear_while_a_long_scene_streams_and_stops_are_marked(page, url):
    scene = {"landscape": {"id": "rosenbrock"}, "steps": 40000, "runs": [
        {"optimizer": {"id": "sgd"}, "schedule": {"id": "cosine", "params": {"lr": 1e-3}}, "start": [-1.5, 2]},
        {"optimizer": {"id": "momentum"}, "schedule": {"id": "constant", "params": {"lr": 0.01}}, "start": [-1.5, 2]}]}
    page.goto(f"{url}/?s={encode(scene)}")
    ready(page)
    assert page.evaluate("window.optiscape.partialDraws") > 0
    assert page.evaluate("window.optiscape.results[0].loss.length") == 40001
    assert_drawn(page, 0)
    assert len(runs_of(page, "view-loss")[0]["y"]) < 4000  # 40001 steps, drawn at the view's pixels
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
    f = "input[data-loc='landscape.params.f']"  # text: no slider
    settle(page, lambda: page.fill(f, "(x-1)^2 + 4*(y+1)^2") or page.press(f, "Enter"))
    assert page.evaluate("window.optiscape.effective.landscape.params.f") == "(x-1)^2 + 4*(y+1)^2"
    assert "f(x, y) = (x-1)^2" in page.text_content("#head-landscape")
    page.fill(f, "(x-1)^^2")
    page.expected_console.add("Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)")
    page.press(f, "Enter")
    page.wait_for_selector("body[data-status=invalid]")
    assert "position 6" in page.text_content("[data-error-for='landscape.params.f']")
    settle(page, lambda: page.fill(f, "x^2 + y^2") or page.press(f, "Enter"))
    settle(page, lambda: page.select_option("select[data-loc='runs.0.schedule.id']", "expression"))
    g = "input[data-loc='runs.0.schedule.params.f']"
    settle(page, lambda: page.fill(g, "0.2 * 0.5^floor(k/100)") or page.press(g, "Enter"))
    lr = result(page, 0, "lr")
    assert lr[0] == 0.2 and lr[100] == 0.1 and lr[499] == 0.2 / 16
    assert_drawn(page, 0)


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


def lr_field(run):
    return f"input[type=number][data-loc='runs.{run}.schedule.params.lr']"


def lr_slider(run):
    return f"input[type=range][data-loc='runs.{run}.schedule.params.lr']"


def wait_for_url(page, check, timeout=10.0):
    """Until the URL's ?s= token decodes to a scene for which check(scene) holds; returns the query."""
    deadline = time.monotonic() + timeout
    while True:
        query = parse_qs(urlparse(page.url).query)
        if "s" in query and check(decode(query["s"][0])):
            return query
        assert time.monotonic() < deadline, f"the URL never held it: {page.url}"
        time.sleep(0.05)


def assert_ends_at(page, run, value):
    """The scene, every view and the URL end at `value` for run `run`'s rate (a cosine: η(0) is the rate)."""
    wait_until(page, f"window.optiscape.effective.runs[{run}].schedule.params.lr === {value} && "
                     "document.body.dataset.status === 'ready'")
    assert result(page, run, "lr")[0] == value
    assert_drawn(page, run)
    query = wait_for_url(page, lambda scene: scene["runs"][run]["schedule"]["params"]["lr"] == value)
    assert query["view"] == ["contour"]


def test_dragging_a_slider_by_mouse_redraws_every_view_as_it_moves(page, url):
    page.goto(f"{url}/?s={encode(TWO_RUNS)}")
    ready(page)
    before = page.evaluate("window.optiscape.updates")
    page.locator(lr_slider(1)).scroll_into_view_if_needed()
    box = page.locator(lr_slider(1)).bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    for i in range(1, 31):  # 30 moves at 30 Hz, to the right
        page.mouse.move(box["x"] + box["width"] * (0.5 + 0.01 * i), y)
        time.sleep(1 / 30)
    page.mouse.up()
    final = float(page.input_value(lr_field(1)))  # the slider writes the exact value into its field
    assert final > 0.1 and page.evaluate("window.optiscape.scene.runs[1].schedule.params.lr") == final
    assert_ends_at(page, 1, final)
    assert page.evaluate("window.optiscape.updates") - before >= 3, "the views followed the drag, not only its end"
    assert page.evaluate("window.optiscape.lastUpdateMs") > 0


def test_a_slider_moves_with_the_arrow_keys(page, url):
    page.goto(f"{url}/?s={encode(TWO_RUNS)}")
    ready(page)
    slider = page.locator(lr_slider(1))
    start = int(slider.input_value())
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert int(slider.input_value()) == start + 5 and page.evaluate("document.activeElement.type") == "range"
    final = float(page.input_value(lr_field(1)))
    assert 0.05 < final < 0.05 * 1.1  # five positions of 1000 over six decades: about 7 % more
    assert_ends_at(page, 1, final)
    # the field takes any valid value, the slider follows it
    settle(page, lambda: page.fill(lr_field(1), "0.002") or page.press(lr_field(1), "Enter"))
    assert_ends_at(page, 1, 0.002)
    assert int(slider.input_value()) < start


def test_the_view_is_in_the_url(page, url):
    page.goto(f"{url}/?s={encode(TWO_RUNS)}&view=3d")
    ready(page)
    wait_until(page, "document.getElementById('view-background').data?.[0]?.type === 'surface'")
    assert {t["type"] for t in runs_of(page, "view-landscape")} == {"scatter3d"}
    page.click("#mode")
    wait_until(page, "document.getElementById('view-background').data.map(t => t.type).join() === 'heatmap,contour'")
    wait_until(page, "location.search.includes('view=contour')")
    assert {t["type"] for t in runs_of(page, "view-landscape")} == {"scatter"}
    assert_drawn(page, 0)


# Where the contour's colours lie on screen, against where the paths' axes put the mesh's corners (pixels, left,
# right, top, bottom): 0 when the contour is under the paths.
CONTOUR_OFFSET = """(() => {
  const paths = document.getElementById('view-landscape'), colours = document.querySelector('#view-background .hm image');
  const box = paths.getBoundingClientRect(), image = colours.getBoundingClientRect();
  const [xa, ya, mesh] = [paths._fullLayout.xaxis, paths._fullLayout.yaxis, window.optiscape.mesh];
  const at = (axis, v) => axis._offset + axis.l2p(v);
  const want = [box.left + at(xa, mesh.x[0]), box.left + at(xa, mesh.x.at(-1)), box.top + at(ya, mesh.y.at(-1)),
    box.top + at(ya, mesh.y[0])];
  return [image.left, image.right, image.top, image.bottom].map((v, i) => Math.abs(v - want[i])); })()"""


def test_the_contour_stays_under_the_paths_when_the_view_is_autoscaled_or_the_landscape_changes(page, url):
    page.goto(f"{url}/?s={encode(TWO_RUNS)}")
    ready(page)
    assert max(page.evaluate(CONTOUR_OFFSET)) < 1
    page.hover("#view-landscape")
    page.click("#view-landscape .modebar-btn[data-title='Autoscale']")  # to the paths: the plot area changes shape
    wait_until(page, "(([p, c]) => p[0] !== window.optiscape.mesh.x[0] && p[0] === c[0])(['view-landscape', "
                     "'view-background'].map((id) => document.getElementById(id)._fullLayout.xaxis.range))")
    page.wait_for_timeout(300)
    assert max(page.evaluate(CONTOUR_OFFSET)) < 1
    settle(page, lambda: page.select_option("select[data-loc='landscape.id']", "peaks"))
    page.wait_for_timeout(300)
    assert max(page.evaluate(CONTOUR_OFFSET)) < 1


def test_the_learning_rate_axis_goes_log_by_itself_and_the_user_can_override_it(page, url):
    near = {**TWO_RUNS, "runs": [{**run, "schedule": {"id": "constant", "params": {"lr": lr}}}
                                 for run, lr in zip(TWO_RUNS["runs"], (0.001, 0.004))]}
    page.goto(f"{url}/?s={encode(near)}")
    ready(page)
    axis = "document.getElementById('view-lr')._fullLayout.yaxis.type"
    assert page.evaluate(axis) == "linear" and page.input_value("#lr-scale") == "auto"  # within a decade
    settle(page, lambda: page.fill(lr_field(1), "0.05") or page.press(lr_field(1), "Enter"))
    assert page.evaluate(axis) == "log" and "log axis (auto)" in page.text_content("#head-lr")
    page.select_option("#lr-scale", "linear")
    wait_until(page, f"{axis} === 'linear'")
    settle(page, lambda: page.fill(lr_field(1), "0.08") or page.press(lr_field(1), "Enter"))
    assert page.evaluate(axis) == "linear"  # the user's choice holds


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_small_screens_show_the_views_first_and_fold_the_controls(page, url):
    page.goto(url + "/")
    ready(page)
    landscape = page.locator("#box-landscape").bounding_box()
    assert landscape["x"] >= 0 and landscape["x"] + landscape["width"] <= 390
    assert landscape["y"] + landscape["height"] <= 844 - 40, "the landscape is on the first screen"
    assert not page.is_visible(lr_slider(0)) and page.is_visible("#panel > summary")
    page.click("#panel > summary")
    slider = page.locator(lr_slider(0))
    slider.scroll_into_view_if_needed()
    assert page.is_visible(lr_slider(0))
    assert slider.bounding_box()["y"] > 844 / 2 - 40, "the controls open over the lower half: the views stay in sight"
    page.screenshot(path=str(ARTIFACTS / "phone-controls-open.png"))
    page.click("#panel > summary")  # folded again, then the window widens: they come back beside the views
    assert not page.is_visible(lr_slider(0))
    page.set_viewport_size({"width": 1440, "height": 900})
    wait_until(page, "document.getElementById('panel').open")
    assert page.locator("#panel").bounding_box()["x"] < page.locator("#box-landscape").bounding_box()["x"]


def test_keys_for_presenting(page, url):
    """] and [ open the next and previous preset, f puts the views alone on the screen, ? lists the keys; arrows and
    space drive the timeline; none of them act while typing in a field, and a focused slider keeps its arrows."""
    page.goto(url + "/")
    ready(page)
    wait_until(page, "window.optiscape.playing")
    page.keyboard.press(" ")  # pauses the first scene's playback
    assert not page.evaluate("window.optiscape.playing")
    stopped = page.evaluate("window.optiscape.step")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.optiscape.step") == stopped + 1
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.optiscape.step") == stopped
    page.keyboard.press(" ")
    assert page.evaluate("window.optiscape.playing")
    page.keyboard.press(" ")
    ids = page.evaluate("[...document.querySelectorAll('button[data-preset]')].map(b => b.dataset.preset)")
    shown = page.evaluate("window.optiscape.scene.preset")  # the default scene may itself be a preset
    first = ids[(ids.index(shown) + 1) % len(ids)] if shown in ids else ids[0]
    settle(page, lambda: page.keyboard.press("]"))
    assert page.evaluate("window.optiscape.scene.preset") == first and page.is_visible("#preset-box")
    settle(page, lambda: page.keyboard.press("]"))
    assert page.evaluate("window.optiscape.scene.preset") == ids[(ids.index(first) + 1) % len(ids)]
    settle(page, lambda: page.keyboard.press("["))
    assert page.evaluate("window.optiscape.scene.preset") == first
    page.keyboard.press("f")
    assert page.evaluate("document.body.classList.contains('presenting')")
    assert page.is_visible("#view-landscape") and not page.is_visible("#controls") and not page.is_visible("#presets")
    page.keyboard.press("f")
    assert not page.evaluate("document.body.classList.contains('presenting')") and page.is_visible("#presets")
    page.keyboard.press("?")
    assert page.is_visible("#keys-help") and "previous / next preset" in page.text_content("#keys-help")
    page.keyboard.press("Escape")
    assert not page.is_visible("#keys-help")
    field = page.locator("#controls input[type=text], #controls input:not([type])").first
    field.focus()
    page.keyboard.press("f")
    page.keyboard.press("]")
    assert not page.evaluate("document.body.classList.contains('presenting')")
    assert page.evaluate("window.optiscape.scene.preset") == first and not page.is_visible("#keys-help")
    settle(page, lambda: field.blur())  # leaving the field commits the typed label: its answer resets the timeline
    page.focus("#timeline")
    before = int(page.input_value("#timeline"))
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.optiscape.step") == before - 1 == int(page.input_value("#timeline"))


@contextmanager
def another_origin(pages: dict[str, str]):
    """A second tiny HTTP server on another port (another origin than the app's), serving `pages` (path -> HTML)."""
    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_another_site_frames_the_embed_and_sees_it_draw_but_not_the_page(page, url):
    """The share menu's <iframe>, pasted into a page of another origin, draws the scene there; so does an embed of
    two views; the page itself refuses to be framed."""
    token = encode(TWO_RUNS)
    page.goto(f"{url}/?s={token}")
    ready(page)
    page.click("#share-menu > summary")
    wait_until(page, "document.getElementById('embed-snippet').value.startsWith('<iframe')")
    snippet = page.input_value("#embed-snippet")
    assert page.input_value("#share-url") == page.url
    head = '<!doctype html><link rel="icon" href="data:,">'
    two = f'<iframe id="two" src="{url}/embed?s={token}&amp;views=loss,landscape" width="900" height="500"></iframe>'
    course = f'{head}<h1>A course</h1>{snippet.replace("<iframe ", "<iframe id=pasted ")}{two}'
    refused = f'{head}<iframe id="page" src="{url}/?s={token}" width="900" height="500"></iframe>'
    page.on("console", lambda m: page.expected_console.add(m.text) if "frame-ancestors" in m.text else None)
    with another_origin({"/course.html": course, "/refused.html": refused}) as site:
        assert urlparse(site).port != urlparse(url).port
        page.goto(site + "/course.html")
        inside = {}
        for name in ("pasted", "two"):
            page.frame_locator(f"#{name}").locator("body[data-status=ready]").wait_for(timeout=60_000)
            inside[name] = page.locator(f"#{name}").element_handle().content_frame()
            assert inside[name].url.startswith(url + "/embed?")
        drawn = {name: frame.evaluate("""({runs: window.optiscape.results.length, controls: !!document.getElementById('controls'),
            views: [...document.querySelectorAll('.grid > figure')].map(f => f.id),
            paths: document.getElementById('view-landscape').data.filter(t => String(t.meta).startsWith('run-')).length,
            losses: document.getElementById('view-loss').data.filter(t => String(t.meta).startsWith('run-')).length})""")
            for name, frame in inside.items()}
        common = {"runs": 2, "controls": False, "paths": 2, "losses": 2}
        assert drawn["pasted"] == {**common, "views": ["box-landscape", "box-lr", "box-loss"]}
        assert drawn["two"] == {**common, "views": ["box-loss", "box-landscape"]}
        link = page.frame_locator("#two").locator("#open")
        assert "open in Optiscape" in link.text_content() and link.get_attribute("target") == "_blank"
        assert parse_qs(urlparse(link.get_attribute("href")).query) == {"s": [token], "view": ["contour"]}
        page.frame_locator("#two").locator("#back").click()  # the timeline works inside the frame
        assert inside["two"].evaluate("window.optiscape.step") == TWO_RUNS["steps"] - 1
        page.screenshot(path=str(ARTIFACTS / "embed-framed.png"))

        page.goto(site + "/refused.html")
        page.wait_for_timeout(1500)
        framed = page.locator("#page").element_handle().content_frame()
        assert not framed.url.startswith(url), "the page itself may not be framed by another site"
    assert any("frame-ancestors 'none'" in text and "blocked" in text for text in page.expected_console)


def test_at_the_cursor_the_update_rule_and_arrows_follow_the_step(page, url):
    """The panel asks for the selected run's internals only once opened; at a step it shows Adam's m̂, v̂, the
    per-coordinate rate and the step, equal to an independent computation from the engine's state (optax's, per
    tests/test_internals.py); the contour view draws −∇f, −m and the step from θ_k; both follow the timeline."""
    posted = []
    page.on("request", lambda r: posted.append(r.post_data) if r.url.endswith("/api/runs?arrays=bdata") and r.post_data else None)
    page.goto(f"{url}/?s={encode(TWO_RUNS)}")
    ready(page)
    assert not any('"internals":true' in body for body in posted), "internals are asked for only with the panel open"
    page.check("#controls input[aria-label^='select run 2 ']")
    page.click("#inside > summary")
    page.wait_for_selector("#inside-body table", timeout=60_000)
    assert sum('"internals":true' in body for body in posted) == 1
    scene = {**TWO_RUNS, "runs": [TWO_RUNS["runs"][1]], "internals": True}
    inside = httpx.post(url + "/api/runs", json=scene, timeout=60).json()["runs"][0]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for k in (0, 57, 233):
        page.fill("#timeline", str(k))
        page.dispatch_event("#timeline", "input")
        wait_until(page, f"document.querySelector('#inside-body p')?.textContent.includes('update k = {k} ')")
        shown = page.evaluate("""Object.fromEntries([...document.querySelectorAll('#inside-body tr[data-symbol]')].map(
            tr => [tr.dataset.symbol, [...tr.querySelectorAll('td[data-value]')].map(td => Number(td.dataset.value))]))""")
        t, lr = k + 1, inside["lr"][k]
        m_hat = [m / (1 - b1 ** t) for m in inside["internals"]["state"]["mu"][k]]
        v_hat = [v / (1 - b2 ** t) for v in inside["internals"]["state"]["nu"][k]]
        rate = [lr / (v ** 0.5 + eps) for v in v_hat]
        expected = {"g": inside["internals"]["gradient"][k], "m̂": m_hat, "v̂": v_hat, "η_eff": rate,
                    "step": [-r * m for r, m in zip(rate, m_hat)], "applied": inside["internals"]["update"][k]}
        for symbol, values in expected.items():
            assert shown[symbol] == pytest.approx(values, rel=1e-12, abs=1e-300), (k, symbol)
        assert shown["step"] == pytest.approx(shown["applied"], rel=1e-9)
        arrows = [t for t in traces(page, "view-landscape") if str(t["meta"]).startswith("cursor-")]
        assert len(arrows) == 3 and all((a["x"][0], a["y"][0]) == (inside["x"][k], inside["y"][k]) for a in arrows)
        step = next(a for a in arrows if a["meta"] == "cursor-step")
        direction = [step["x"][1] - step["x"][0], step["y"][1] - step["y"][0]]
        assert direction[0] * expected["applied"][1] == pytest.approx(direction[1] * expected["applied"][0], rel=1e-6)
    page.screenshot(path=str(ARTIFACTS / "inside-panel.png"))
    page.click("#inside > summary")  # closed: no arrows
    wait_until(page, "!document.getElementById('view-landscape').data.some(t => String(t.meta).startsWith('cursor-'))")


def test_tuning_eta_for_every_run_applies_each_best_rate_and_draws_the_sweep(page, url):
    page.goto(f"{url}/?s={encode(TWO_RUNS)}")
    ready(page)
    page.click("#explore [data-tab=tune]")
    page.select_option("#explore-form select[name=which]", "every run")
    page.select_option("#explore-form select[name=metric]", "final_loss")
    page.fill("#explore-form input[name=n]", "9")
    effective = page.evaluate("window.optiscape.effective")
    settle(page, lambda: explore(page, "tune"))
    expected = [httpx.post(url + "/api/tune", json={"scene": effective, "run": i, "metric": "final_loss", "n": 9},
                           timeout=120).json() for i in range(2)]
    rates = page.evaluate("window.optiscape.effective.runs.map(r => r.schedule.params.lr)")
    assert rates == [answer["best"] for answer in expected]
    assert rates != [run["schedule"]["params"]["lr"] for run in TWO_RUNS["runs"]], "tuning changed the rates"
    curves = page.evaluate("document.getElementById('explore-plot').data.filter(t => t.meta === 'tune').map(t => Array.from(t.x))")
    assert curves == [answer["values"] for answer in expected]
    assert "momentum: η 0.001 →" in page.text_content("#explore-status")
    page.screenshot(path=str(ARTIFACTS / "tune.png"))


def test_the_report_draws_from_a_file_with_the_network_off_and_its_slider_moves_the_markers(browser, tmp_path):
    """`optiscape report` writes one HTML file; opened from file:// with every other request refused, it draws the
    three views, and its step slider moves each run's marker and cuts its path as the page's timeline does."""
    out = tmp_path / "canyon.html"
    assert optiscape_cli(["report", str(ROOT / "examples" / "canyon.json"), "-o", str(out)]) == 0
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    asked = []

    def only_files(route):
        asked.append(route.request.url)
        route.continue_() if route.request.url.startswith("file:") else route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(out.as_uri())
    page.wait_for_selector("body[data-ready]", timeout=60_000)
    assert [url for url in asked if not url.startswith("file:")] == [] and problems == []
    kinds = page.evaluate("document.getElementById('views').data.map(t => [t.type, t.meta])")
    assert kinds[:2] == [["contour", "landscape"], ["scatter", "minima"]]
    assert sum(meta.startswith("run-") for _, meta in kinds if meta) == 15  # 5 runs x 3 views
    drawn = page.evaluate("""[document.querySelectorAll('#views .contourlayer path').length,
        document.querySelectorAll('#views .scatterlayer .trace').length]""")
    assert drawn[0] > 10 and drawn[1] >= 17  # contour lines; paths, curves, minima and markers drawn as SVG
    runs = run_scene(json.loads((ROOT / "examples" / "canyon.json").read_text()))
    page.locator("#step").fill("60")
    marker = page.evaluate("""(() => { const d = document.getElementById('views').data;
        const m = d.find(t => t.meta === 'step-marker');
        const paths = d.filter(t => String(t.meta).startsWith('run-') && t.xaxis === 'x');
        return {x: Array.from(m.x), y: Array.from(m.y), lengths: paths.map(t => t.x.length),
                lines: document.getElementById('views').layout.shapes.map(s => s.x0),
                shown: document.getElementById('step-shown').textContent}; })()""")
    assert marker["x"] == [float(r.x[60]) for r in runs] and marker["y"] == [float(r.y[60]) for r in runs]
    assert marker["lengths"] == [61] * 5 and marker["lines"] == [60, 60] and marker["shown"] == "step 60"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-offline.png"), full_page=True)
    context.close()


def test_the_export_menu_downloads_the_html_report_of_the_scene_shown(page, url):
    page.goto(url + "/")
    ready(page)
    page.click("details.export summary")
    with page.expect_download(timeout=60_000) as info:
        page.click("#export-report")
    assert info.value.suggested_filename == "optiscape_report.html"
    report = Path(info.value.path()).read_text(encoding="utf-8")
    scene = json.loads(html.unescape(re.search(r'<pre id="scene">(.*?)</pre>', report, re.S).group(1)))
    assert scene == page.evaluate("window.optiscape.effective")
    link = html.unescape(re.search(r'class="permalink" href="([^"]+)"', report).group(1))
    assert link.startswith(url + "/?s=") and decode(parse_qs(urlparse(link).query)["s"][0]) == scene
