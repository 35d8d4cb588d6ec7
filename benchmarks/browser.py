"""Browser benchmark: headless Debian Chromium (Playwright) against a warm `optiscape serve`.

- first load: navigation to the first full picture (all three views drawn, summary filled), in a browser profile
  on disk: the first visit (empty cache), then a returning visitor's (plotly.min.js and its compiled code cached);
- typed change: a new learning rate typed (Enter) for one run of a 4 runs x 1000 steps scene, to all three views
  updated (the page's own measure, and the wall time seen from Playwright);
- drag: 90 new values of that run's learning rate at 30 Hz (new to the server too: see SEED), in the contour view and in the 3D view, driven two
  ways: `field` sets the number field and fires its `change` event (what a form allows; works on every version
  of the page), `slider` drags the slider beside it with the mouse (a real drag: Chromium fires `input` events).
  Reported: completed view updates per second (from the first input until the last value is drawn), the median
  input-to-redrawn latency as the page measures it (`window.optiscape.lastUpdateMs`: from the input event's time
  to the frame that painted its answer, split into its parts where the page says), the same seen from outside
  (an update's time minus the time of the input whose value the LR view shows then: lower when the page has
  already drawn a newer answer by the time an update completes), and whether the last value ended up drawn.

An update is counted when the page sets `body[data-status=ready]`, which it does once all three views are
redrawn. Headless Chromium draws WebGL with SwiftShader, on the CPU: a real GPU draws the 3D surface faster.
The machine's load changes these figures: the script prints `uptime` with them.

Usage: .venv/bin/python benchmarks/browser.py [--repeat 15] [--drags 3] [--visitors 5] [--skip-load] [--frontend DIR]

`--frontend DIR` serves another copy of frontend/ (e.g. `git archive BASE frontend | tar -x -C /tmp/base`, then
`--frontend /tmp/base/frontend`): before and after measured by the same script, one after the other.
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from app.contract.permalink import encode  # noqa: E402
from browser import ARGS, CHROMIUM  # noqa: E402
from server import serving  # noqa: E402

SCENE = {"landscape": {"id": "rosenbrock"}, "steps": 1000, "runs": [
    {"optimizer": {"id": o}, "schedule": {"id": s, "params": {"lr": 1e-3}}, "start": [-1.5, 2.0]}
    for o, s in [("sgd", "constant"), ("momentum", "cosine"), ("nesterov", "step"), ("adam", "warmup_cosine")]]}
DRAGGED = "runs.1.schedule.params.lr"  # a cosine schedule: its LR curve starts at the rate itself
# A slider's positions give the same values on every drag, and the server keeps the runs it answered lately
# (app.contract.run_cache): each drag first sets the dragged run's noise seed to one not used yet (its noise
# is off: the numbers are the same), so that every value of every drag is a run the server has not computed.
SEED, NOISE = "runs.1.noise.seed", "runs.1.noise.std"
FRESH_SEEDS = itertools.count(1)
EVENTS, PERIOD_MS = 90, 1000 / 30
VIEWPORT = {"width": 1600, "height": 1000}

# Every time the page says all views are redrawn: when, the page's own latency, and the rate its LR view shows.
# Installed once per page; each drag empties the lists.
RECORDER = """(() => {
  if (window.__bench) { window.__bench.inputs = []; window.__bench.updates = []; return; }
  window.__bench = { inputs: [], updates: [] };
  new MutationObserver(() => {
    if (document.body.dataset.status !== 'ready') return;
    const lr = document.getElementById('view-lr').data[1];
    window.__bench.updates.push({ t: performance.now(), page: window.optiscape.lastUpdateMs, drawn: lr.y[0],
      parts: window.optiscape.lastUpdateParts });
  }).observe(document.body, { attributes: true, attributeFilter: ['data-status'] });
})()"""

# The form's way: set the number field and fire `change`, 90 times at 30 Hz (timed in the page).
FIELD_DRIVER = """(async ({ loc, values, period }) => {
  const field = document.querySelector(`input[type=number][data-loc='${loc}']`);
  const t0 = performance.now();
  for (let i = 0; i < values.length; i++) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + i * period - performance.now())));
    field.value = String(values[i]);
    window.__bench.inputs.push({ t: performance.now(), value: values[i] });
    field.dispatchEvent(new Event('change', { bubbles: true }));
  }
})"""

SET_FIELD = """(({ loc, value }) => {
  const field = document.querySelector(`input[type=number][data-loc='${loc}']`);
  field.value = String(value);
  field.dispatchEvent(new Event('change', { bubbles: true }));
})"""

# The slider's way: record each `input` event's value as the page parsed it (this listener runs after the page's).
SLIDER_LISTENER = """((loc) => {
  const slider = document.querySelector(`input[type=range][data-loc='${loc}']`);
  if (slider.dataset.bench) return;
  slider.dataset.bench = 'listened';
  slider.addEventListener('input', (event) => {
    const value = loc.split('.').reduce((node, key) => node?.[key], window.optiscape.scene);
    window.__bench.inputs.push({ t: event.timeStamp, value });
  });
})"""


def ready(page, timeout=120_000):
    page.wait_for_selector("body[data-status=ready]", timeout=timeout)


def first_loads(playwright, url, repeat, visitors):
    """Seconds from navigation to the first full picture, in browser profiles on disk as visitors' are.

    Returns (first visits, returning visits): each of `visitors` profiles starts empty (plotly.min.js downloaded
    and compiled from source: its first visit); the later loads are a returning visitor's (in the last profile),
    plotly.min.js from the HTTP cache and, from the third load on, its compiled code from V8's code cache (Chromium
    writes it on the second load). A Playwright context (`browser.new_context`) is incognito-like and keeps no
    code cache: plotly.min.js is compiled again on every load there (about 1 s here), which no returning visitor pays.
    """
    firsts = []
    for visitor in range(visitors):
        with tempfile.TemporaryDirectory() as profile:
            context = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS,
                                                                   viewport=VIEWPORT)
            loads = []
            for _ in range(max(3, repeat // 3) + 2 if visitor == visitors - 1 else 1):
                page = context.new_page()
                t = time.perf_counter()
                page.goto(url + "/")
                ready(page)
                loads.append(time.perf_counter() - t)
                page.close()
            context.close()
        firsts.append(loads[0])
    return firsts, loads[2:]  # the second load is when the code cache is written


def open_scene(browser, url, view):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{url}/?s={encode(SCENE)}&view={view}")
    ready(page)
    shows = ("document.getElementById('view-landscape').data.some((t) => t.type === 'surface' || t.type === 'scatter3d')"
             " ? '3d' : 'contour'")
    if page.evaluate(shows) != view:  # a page without &view=
        page.evaluate("document.body.dataset.status = 'stale'")
        page.click("#mode")
        deadline = time.monotonic() + 60
        while page.evaluate(shows) != view:
            assert time.monotonic() < deadline, "the view did not switch"
            time.sleep(0.05)
    time.sleep(0.5)
    return page


def typed_changes(page, repeat):
    inside, outside = [], []
    field = f"input[type=number][data-loc='{DRAGGED}']"
    fresh_seed(page)
    for i in range(repeat + 2):
        page.evaluate("document.body.dataset.status = 'stale'")
        t = time.perf_counter()
        page.fill(field, f"{0.001 + 0.00001 * (i + 1):.5f}")
        page.press(field, "Enter")
        ready(page)
        if i >= 2:
            outside.append(time.perf_counter() - t)
            inside.append(page.evaluate("window.optiscape.lastUpdateMs") / 1e3)
    return inside, outside


def wait_settled(page, final, timeout=60.0):
    """Until the LR view shows `final` and nothing is pending; False if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = page.evaluate("""(final) => document.body.dataset.status === 'ready'
            && document.getElementById('view-lr').data[1].y[0] === final""", final)
        if done:
            time.sleep(0.3)  # anything still in flight would show up here
            return page.evaluate("document.getElementById('view-lr').data[1].y[0]") == final
        time.sleep(0.05)
    return False


def fresh_seed(page):
    """Set the dragged run's noise seed to one not used yet (see SEED) and wait for its answer to be drawn."""
    for loc, value in ((NOISE, 0), (SEED, next(FRESH_SEEDS))):  # the deviation first: pages before 2026-12-06
        page.evaluate("document.body.dataset.status = 'stale'")  # flagged a seed without one
        page.evaluate(SET_FIELD, {"loc": loc, "value": value})
        ready(page)


def drag(page, driver, index):
    fresh_seed(page)
    page.evaluate(RECORDER)
    if driver == "field":
        base = 0.001 + 0.0002 * index
        values = [round(base + 0.00001 * (i + 1), 8) for i in range(EVENTS)]
        page.evaluate(FIELD_DRIVER, {"loc": DRAGGED, "values": values, "period": PERIOD_MS})
    else:
        page.evaluate(SLIDER_LISTENER, DRAGGED)
        slider = page.locator(f"input[type=range][data-loc='{DRAGGED}']")
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.2, y)
        page.mouse.down()
        started = time.perf_counter()
        # 60 events to the right, one pixel each, then 30 back to the left between the pixels passed on the way
        # out (a slider has several positions a pixel): 90 distinct values
        for i in range(EVENTS):
            time.sleep(max(0.0, started + i * PERIOD_MS / 1e3 - time.perf_counter()))
            offset = i + 1 if i < 60 else 60 - (i - 59) + 0.5
            page.mouse.move(box["x"] + box["width"] * 0.2 + offset, y)
        page.mouse.up()
    inputs = page.evaluate("window.__bench.inputs")
    final = inputs[-1]["value"]
    settled = wait_settled(page, final)
    updates = page.evaluate("window.__bench.updates")
    t0 = inputs[0]["t"]
    end = next((u["t"] for u in reversed(updates) if u["drawn"] == final), updates[-1]["t"] if updates else t0)
    counted = [u for u in updates if t0 <= u["t"] <= end]
    latencies = []
    for u in counted:
        shown = [e["t"] for e in inputs if e["value"] == u["drawn"] and e["t"] <= u["t"]]
        if shown:
            latencies.append(u["t"] - shown[-1])
    return {"inputs": len(inputs), "updates": len(counted), "seconds": (end - t0) / 1e3,
            "rate": len(counted) / max((end - t0) / 1e3, 1e-9), "latencies": latencies,
            "page": [u["page"] for u in counted if u["page"] is not None], "settled": settled,
            "parts": [u["parts"] for u in counted if u.get("parts")]}


def summarise_drags(runs):
    latencies = [v for r in runs for v in r["latencies"]]
    page = [v for r in runs for v in r["page"]]
    median = (lambda xs: f"{statistics.median(xs):.0f}" if xs else "–")
    parts = [p for r in runs for p in r["parts"]]
    split = (f"; of which waiting for a request slot {median([p.get('wait', 0) for p in parts])} ms, request to "
             f"answer {median([p['answer'] for p in parts])} ms, answer to painted {median([p['draw'] for p in parts])} ms"
             if parts else "")
    return (f"{statistics.median([r['rate'] for r in runs]):.1f} updates/s (runs: "
            f"{', '.join(format(r['rate'], '.1f') for r in runs)}), input-to-redrawn median {median(page)} ms "
            f"in the page{split}, {median(latencies)} ms seen from outside, over {len(page)} updates; inputs per drag "
            f"{[r['inputs'] for r in runs]}, drag lasted {[round(r['seconds'], 1) for r in runs]} s, last value drawn: "
            f"{all(r['settled'] for r in runs)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--drags", type=int, default=3)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--visitors", type=int, default=5, help="first visits, each from an empty profile")
    parser.add_argument("--frontend", help="serve this frontend folder instead of the repository's")
    args = parser.parse_args()
    if args.visitors < 1:
        parser.error("--visitors must be at least 1")
    lines = []
    env = {"OPTISCAPE_FRONTEND": str(Path(args.frontend).resolve())} if args.frontend else None
    with serving(env=env) as url, sync_playwright() as p:
        while not httpx.get(url + "/api/health").json()["warm"]:
            time.sleep(0.2)
        if not args.skip_load:
            firsts, loads = first_loads(p, url, args.repeat, args.visitors)
            lines.append(f"first visit (empty profile) to first full picture: median {statistics.median(firsts):.2f} s "
                         f"({', '.join(format(v, '.2f') for v in firsts)})")
            lines.append(f"returning visit to first full picture: median {statistics.median(loads):.2f} s "
                         f"(min {min(loads):.2f}, max {max(loads):.2f}) over {len(loads)}")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for view in ("contour", "3d"):
            page = open_scene(browser, url, view)
            inside, outside = typed_changes(page, args.repeat)
            lines.append(f"[{view}] typed change to all three views updated, 4 runs x 1000 steps: median "
                         f"{statistics.median(inside) * 1e3:.0f} ms in the page, "
                         f"{statistics.median(outside) * 1e3:.0f} ms seen from Playwright (over {len(inside)})")
            has_slider = page.locator(f"input[type=range][data-loc='{DRAGGED}']").count() > 0
            for driver in ("field", "slider") if has_slider else ("field",):
                runs = [drag(page, driver, i) for i in range(args.drags)]
                lines.append(f"[{view}] drag by {driver}, {EVENTS} values at 30 Hz: {summarise_drags(runs)}")
            page.close()
        browser.close()
    for line in lines:
        print(line)
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
