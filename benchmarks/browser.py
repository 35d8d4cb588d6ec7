"""Browser benchmark: headless Debian Chromium (Playwright) against a warm `optiscape serve`.

- first load: navigation to the first full picture (all three views drawn, summary filled), fresh page each time;
- parameter change: typing a new learning rate for one run of a 4 runs x 1000 steps scene, to all three views
  updated (the page's own measure, from the edit to the last redraw, and the wall time seen from outside).

Headless Chromium draws WebGL with SwiftShader, on the CPU: a real GPU draws the 3D surface faster.

Usage: .venv/bin/python benchmarks/browser.py [--repeat 15]
"""
from __future__ import annotations

import argparse
import statistics
import sys
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with serving() as url, sync_playwright() as p:
        while not httpx.get(url + "/api/health").json()["warm"]:
            time.sleep(0.2)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        loads = []
        for i in range(max(3, args.repeat // 3) + 1):
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            t = time.perf_counter()
            page.goto(url + "/")
            page.wait_for_selector("body[data-status=ready]", timeout=120_000)
            if i:  # the first load also fills the browser's cache of plotly.min.js
                loads.append(time.perf_counter() - t)
            page.close()
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{url}/?s={encode(SCENE)}")
        page.wait_for_selector("body[data-status=ready]", timeout=120_000)
        inside, outside = [], []
        field = "input[data-loc='runs.1.schedule.params.lr']"
        for i in range(args.repeat + 2):
            page.evaluate("document.body.dataset.status = 'stale'")
            t = time.perf_counter()
            page.fill(field, f"{0.001 + 0.00001 * (i + 1):.5f}")
            page.press(field, "Enter")
            page.wait_for_selector("body[data-status=ready]", timeout=120_000)
            if i >= 2:
                outside.append(time.perf_counter() - t)
                inside.append(page.evaluate("window.optiscape.lastUpdateMs") / 1e3)
        browser.close()
    print(f"first load to first full picture: median {statistics.median(loads):.2f} s (min {min(loads):.2f}, "
          f"max {max(loads):.2f}) over {len(loads)}")
    print(f"parameter change to all three views updated, 4 runs x 1000 steps: median {statistics.median(inside) * 1e3:.0f}"
          f" ms in the page, {statistics.median(outside) * 1e3:.0f} ms seen from Playwright (over {len(inside)})")


if __name__ == "__main__":
    main()
