"""Grid benchmark: a 256 x 256 basin map of 500 steps (65,536 trajectories) of momentum SGD on MATLAB peaks,
against a NumPy implementation vectorised over all cells, measured in the same process.

Prints the devices (one CPU device per core, as the server has them: `use_every_core`; OPTISCAPE_CPU_DEVICES=N
sets N), the warm time of the whole answer, its ns per trajectory-step in wall time and in CPU time of the
process (all threads: robust when other processes share the cores), the ratio to NumPy, the load average, and
the basin counts.

Beyond the API's limits (n > MAX_BASIN_N or n² x steps > MAX_GRID_WORK, e.g. n = 1024 on a GPU) the basin map is
computed by the feature from the plan, without the request's validation.

Usage: .venv/bin/python benchmarks/grid.py [--n 256] [--steps 500] [--optimizer momentum|adam] [--no-numpy]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.server.runtime import use_every_core  # noqa: E402

use_every_core()  # before JAX computes anything

import jax  # noqa: E402
import numpy as np  # noqa: E402

from app.contract import compute as explore  # noqa: E402
from app.contract.plans import plan_of  # noqa: E402
from app.contract.scene import scene_of  # noqa: E402
from app.features.basins import basin_map  # noqa: E402
from app.vocabulary.limits import MAX_BASIN_N, MAX_GRID_WORK  # noqa: E402

LR, MOMENTUM = 0.01, 0.9


def peaks_grad(x, y):
    e1 = np.exp(-x**2 - (y + 1) ** 2)
    e2 = np.exp(-x**2 - y**2)
    e3 = np.exp(-(x + 1) ** 2 - y**2)
    a = 3 * (1 - x) ** 2
    b = 10 * (x / 5 - x**3 - y**5)
    dx = -6 * (1 - x) * e1 - 2 * x * a * e1 - 10 * (0.2 - 3 * x**2) * e2 + 2 * x * b * e2 + (2 * (x + 1) / 3) * e3
    dy = -2 * (y + 1) * a * e1 + 50 * y**4 * e2 + 2 * y * b * e2 + (2 * y / 3) * e3
    return dx, dy


def numpy_grid(n: int, steps: int):
    xs, ys = np.meshgrid(np.linspace(-3, 3, n), np.linspace(-3, 3, n))
    x, y = xs.ravel().copy(), ys.ravel().copy()
    mx, my = np.zeros_like(x), np.zeros_like(y)
    for _ in range(steps):
        gx, gy = peaks_grad(x, y)
        mx, my = gx + MOMENTUM * mx, gy + MOMENTUM * my
        x, y = x - LR * mx, y - LR * my
    return x, y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--optimizer", choices=("momentum", "adam"), default="momentum")
    parser.add_argument("--no-numpy", action="store_true", help="skip the NumPy baseline (momentum only)")
    args = parser.parse_args()
    optimizer = {"id": "momentum", "params": {"momentum": MOMENTUM}} if args.optimizer == "momentum" else {"id": "adam"}
    scene = scene_of({"landscape": {"id": "peaks"}, "steps": args.steps, "runs": [
        {"optimizer": optimizer, "schedule": {"id": "constant", "params": {"lr": LR}}}]})
    if args.n <= MAX_BASIN_N and args.n * args.n * args.steps <= MAX_GRID_WORK:
        answer = lambda: explore.basin_map(scene, 0, args.n)  # the whole answer, validation included
    else:
        plan = plan_of(scene)
        answer = lambda: basin_map(plan, 0, args.n)
        print(f"n = {args.n} is beyond the API's limits: the feature computes it from the plan")
    t = time.perf_counter()
    answer()
    first = time.perf_counter() - t
    samples, cpu = [], []
    for _ in range(5):
        t, c = time.perf_counter(), time.process_time()
        grid = answer()
        samples.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    ours, ours_cpu = float(np.median(samples)), float(np.median(cpu))
    trajectories = args.n * args.n
    per_step = 1e9 / (trajectories * args.steps)
    print(f"devices: {jax.devices()}")
    print(f"{args.optimizer} on peaks, {args.n}x{args.n} basin map ({trajectories} trajectories) x {args.steps} steps: "
          f"first call {first:.2f} s, warm {ours:.3f} s = {ours * per_step:.1f} ns per trajectory-step "
          f"(CPU time {ours_cpu * per_step:.1f} ns); load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.optimizer == "momentum" and not args.no_numpy:
        t = time.perf_counter()
        numpy_grid(args.n, args.steps)
        reference = time.perf_counter() - t
        print(f"NumPy vectorised {reference:.2f} s; ratio x{reference / ours:.1f}")
    finals = np.where(np.isfinite(grid["final_loss"].ravel()))[0]
    counts = {k: v for k, v in grid["counts"].items()}
    print(f"basins (index in minima, -1 diverged, -2 escaped, -3 not settled): {counts}; "
          f"{len(finals)} finished ok")


if __name__ == "__main__":
    main()
