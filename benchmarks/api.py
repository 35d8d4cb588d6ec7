"""API benchmark against a real `optiscape serve` (uvicorn, loopback), warm:

- POST /api/runs for 8 runs x 1000 steps: median latency and payload size (gzip as sent, and raw JSON);
- time to the first `chunk` event of a 20,000-step stream, and to its `done`;
- the same scene computed in-process (the engine alone), as the baseline the HTTP overhead is measured against;
- time to the first answered scene after a start with an empty JAX compilation cache and with a filled one.

Usage: .venv/bin/python benchmarks/api.py [--repeat 30]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import httpx  # noqa: E402

from app.contract.compute import run_scene  # noqa: E402
from app.contract.scene import scene_of  # noqa: E402
from server import serving  # noqa: E402


def scene(runs: int, steps: int) -> dict:
    optimizers = ["sgd", "momentum", "adam", "nesterov"]
    schedules = ["constant", "cosine", "step", "warmup_cosine"]
    return {"landscape": {"id": "rosenbrock"}, "steps": steps, "runs": [
        {"optimizer": {"id": optimizers[i % 4]}, "schedule": {"id": schedules[i // 4 % 4], "params": {"lr": 1e-3}},
         "start": [-1.5 + 0.1 * i, 2.0], "clip_norm": 1.0} for i in range(runs)]}


def first_answer(cache_dir: str, body: dict) -> float:
    started = time.perf_counter()
    with serving("--no-warm-up", env={"OPTISCAPE_JAX_CACHE": cache_dir}) as url:
        up = time.perf_counter()
        assert httpx.post(url + "/api/runs", json=body, timeout=300).status_code == 200
        return time.perf_counter() - up, up - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    body = scene(8, 1000)
    with tempfile.TemporaryDirectory() as cache:
        cold, boot = first_answer(cache, body)
        warm_cache, _ = first_answer(cache, body)
    print(f"server start to /api/health: {boot:.2f} s")
    print(f"first POST (8 x 1000) after start: empty compilation cache {cold * 1e3:.0f} ms, "
          f"filled cache {warm_cache * 1e3:.0f} ms (x{cold / warm_cache:.1f})")

    normalised = scene_of(body)
    run_scene(normalised)
    engine = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        run_scene(normalised)
        engine.append(time.perf_counter() - t)

    with tempfile.TemporaryDirectory() as cache, serving(env={"OPTISCAPE_JAX_CACHE": cache}) as url:
        with httpx.Client(base_url=url, timeout=300, headers={"accept-encoding": "gzip"}) as client:
            while not client.get("/api/health").json()["warm"]:
                time.sleep(0.2)
            client.post("/api/runs", json=body)
            latencies, sizes = [], []
            for _ in range(args.repeat):
                t = time.perf_counter()
                answer = client.post("/api/runs", json=body)
                latencies.append(time.perf_counter() - t)
                sizes.append(int(answer.headers.get("content-length", len(answer.content))))
            raw = len(answer.content)
            long_scene = scene(8, 20000)
            token = client.post("/api/permalinks", json=long_scene).json()["token"]
            with client.stream("GET", "/api/runs/stream", params={"s": token}) as r:  # compile the chunk kernels
                for _ in r.iter_lines():
                    pass
            firsts, dones = [], []
            for _ in range(max(3, args.repeat // 5)):
                t = time.perf_counter()
                first = None
                with client.stream("GET", "/api/runs/stream", params={"s": token}) as r:
                    for line in r.iter_lines():
                        if first is None and line.startswith("event: chunk"):
                            first = time.perf_counter() - t
                firsts.append(first)
                dones.append(time.perf_counter() - t)
    post = statistics.median(latencies)
    print(f"POST /api/runs 8 x 1000, warm: median {post * 1e3:.1f} ms (p90 "
          f"{sorted(latencies)[int(0.9 * len(latencies))] * 1e3:.1f} ms); engine alone {statistics.median(engine) * 1e3:.1f}"
          f" ms; HTTP + JSON overhead x{post / statistics.median(engine):.1f}")
    print(f"payload: {statistics.median(sizes) / 1e3:.0f} kB gzip as sent, {raw / 1e3:.0f} kB JSON")
    print(f"stream 8 x 20000: first chunk after median {statistics.median(firsts) * 1e3:.1f} ms, done after "
          f"{statistics.median(dones) * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
