"""Internals benchmark: what asking for a scene's `internals` costs, against the same scene without them, measured
in the same process and printed as ratios (time with internals / time without; 1 means free).

Scenes: Adam + cosine and Lookahead(AMSGrad) on Rosenbrock, 8 runs x 5000 steps, timed warm (after one call), as
`answer_runs` (the compute) and as the JSON encoding of its answer (orjson, as the server does). The scene without
internals takes the kernel it always took (the flag is static); this prints how much the variant adds.

Usage: .venv/bin/python benchmarks/internals.py [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402

import app  # noqa: E402,F401
from app.contract.compute import answer_runs  # noqa: E402
from app.contract.scene import scene_of  # noqa: E402

RUNS, STEPS = 8, 5000
OPTIMIZERS = {"adam": {"id": "adam"}, "lookahead(amsgrad)": {"id": "lookahead", "params": {"inner": {"id": "amsgrad"}}}}


def scene(optimizer: dict, internals: bool):
    return scene_of({"landscape": {"id": "rosenbrock"}, "steps": STEPS, "internals": internals, "runs": [
        {"optimizer": optimizer, "schedule": {"id": "cosine", "params": {"lr": 1e-3 * (1 + i)}},
         "start": [-1.2, 1.0]} for i in range(RUNS)]})


def timed(fn, repeat: int) -> float:
    fn()  # warm: compiles once
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {RUNS} runs x {STEPS} steps")
    for name, optimizer in OPTIMIZERS.items():
        plain, inside = scene(optimizer, False), scene(optimizer, True)
        compute = [timed(lambda s=s: answer_runs(s), repeat) for s in (plain, inside)]
        answers = [answer_runs(s) for s in (plain, inside)]
        encode = [timed(lambda a=a: orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY), repeat) for a in answers]
        size = [len(orjson.dumps(a, option=orjson.OPT_SERIALIZE_NUMPY)) for a in answers]
        print(f"{name:20s} compute {compute[0] * 1e3:7.1f} ms -> {compute[1] * 1e3:7.1f} ms (x{compute[1] / compute[0]:.2f})"
              f"   JSON {encode[0] * 1e3:6.1f} ms -> {encode[1] * 1e3:6.1f} ms (x{encode[1] / encode[0]:.2f})"
              f"   {size[0] / 1e6:.2f} MB -> {size[1] / 1e6:.2f} MB (x{size[1] / size[0]:.2f})")


if __name__ == "__main__":
    main()
