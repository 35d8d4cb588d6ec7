"""Engine benchmark: Adam + cosine on Rosenbrock, 1000 steps, for 1, 8 and 64 runs, against baselines measured in
the same process, printed as ratios (baseline time / engine time; > 1 means the engine is faster).

Baselines, each computing the same trajectories (float64):
- numpy: a Python loop over steps, vectorised over runs with NumPy arrays (Adam and cosine by hand);
- torch: torch.optim.Adam + a LambdaLR cosine on a (runs, 2) float64 tensor, if torch is installed;
- optax-step: a Python loop over a jitted optax step (one dispatch per step, vectorised over runs).

The engine is timed warm (after one call) as `run_scene` (validation, schedule table, kernels, cutting, summaries),
as `plan_of` alone (validation and the learning-rate table: the contract layer), as `run_plan` (the engine: inputs,
kernels, reading stops and records, cutting, summaries) and as the kernel calls alone (init, advance and ends, on
the device, waited for); `host` = run_plan − kernels is the engine's work around its kernels. Ratios use
`run_scene`. `host cpu` is the same difference in CPU time (`time.process_time`), the figure to trust on a loaded
machine. `x numpy min` is the fastest NumPy loop over the fastest engine call: on a virtual machine whose
neighbours take the cores now and then, medians of both swing by 2x from run to run (seen: the NumPy loop at
14-28 ms), the minima far less. The devices, the load average and recompilations during the timed engine calls
(jax.log_compiles) are printed.

A last line times 8 runs each with its own β1 (8 kernel calls), against the same runs sharing one.

`--long RUNSxSTEPS` (e.g. 64x50000, beyond a scene's runs x steps limit: the plan is built directly) times only
`run_plan` and its kernels, without baselines.

Usage: .venv/bin/python benchmarks/engine.py [--repeat 20] [--long 64x50000]
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import app  # noqa: E402,F401
from app.engine import kernels  # noqa: E402
from app.contract.compute import run_scene  # noqa: E402
from app.contract.plans import plan_of  # noqa: E402
from app.contract.scene import scene_of  # noqa: E402
from app.engine.trajectories import Plan, _chunk_inputs, group_arrays, groups, run_plan  # noqa: E402
from app.vocabulary.compile_once import bucket  # noqa: E402

STEPS, LR = 1000, 2e-3


def starts(runs: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.stack([rng.uniform(-1.8, 1.8, runs), rng.uniform(-0.8, 2.8, runs)], 1)


def betas(runs: int, mixed: bool) -> np.ndarray:
    """Adam's β1 of each run: 0.9 for all, or (mixed) one value each from 0.80 to 0.94."""
    return np.round(np.linspace(0.8, 0.94, runs), 2) if mixed else np.full(runs, 0.9)


def scene(runs: int, mixed: bool = False):
    return scene_of({"landscape": {"id": "rosenbrock"}, "steps": STEPS, "runs": [
        {"optimizer": {"id": "adam", "params": {"b1": float(b1)}}, "schedule": {"id": "cosine", "params": {"lr": LR}},
         "start": list(p)} for p, b1 in zip(starts(runs), betas(runs, mixed))]})


def cosine_table() -> np.ndarray:
    return LR * 0.5 * (1 + np.cos(np.pi * np.minimum(np.arange(STEPS), STEPS) / STEPS))


def grad_numpy(p):
    x, y = p[:, 0], p[:, 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], 1)


def numpy_loop(runs: int, mixed: bool = False) -> np.ndarray:
    p = starts(runs).copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    lr = cosine_table()
    b1 = betas(runs, mixed)[:, None]
    out = [p.copy()]
    for k in range(STEPS):
        g = grad_numpy(p)
        m = b1 * m + (1 - b1) * g
        v = 0.999 * v + 0.001 * g * g
        m_hat, v_hat = m / (1 - b1 ** (k + 1)), v / (1 - 0.999 ** (k + 1))
        p = p - lr[k] * m_hat / (np.sqrt(v_hat) + 1e-8)
        out.append(p.copy())
    return np.stack(out)


def torch_loop(runs: int):
    import torch

    p = torch.tensor(starts(runs), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=LR)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5 * (1 + np.cos(np.pi * min(k, STEPS) / STEPS)))
    out = [p.detach().clone()]
    for _ in range(STEPS):
        opt.zero_grad()
        x, y = p[:, 0], p[:, 1]
        ((1 - x) ** 2 + 100 * (y - x**2) ** 2).sum().backward()
        opt.step()
        sched.step()
        out.append(p.detach().clone())
    return torch.stack(out).numpy()


def make_optax_step():
    f = lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    @jax.jit
    def step(p, state, lr):
        g = jax.vmap(jax.grad(f))(p)
        updates, state = optax.adam(lr).update(g, state, p)
        return optax.apply_updates(p, updates), state

    return step


def optax_loop(step, runs: int):
    p = jnp.asarray(starts(runs))
    state = optax.adam(1.0).init(p)
    lr = jnp.asarray(cosine_table())
    out = [p]
    for k in range(STEPS):
        p, state = step(p, state, lr[k])
        out.append(p)
    return np.asarray(jnp.stack(out))


def sampled(fn, repeat: int, clock=time.perf_counter) -> list[float]:
    """`repeat` warm calls' times; `clock=time.process_time`: CPU time of every thread of the process, robust when
    other processes share the cores."""
    fn()
    samples = []
    for _ in range(repeat):
        t = clock()
        fn()
        samples.append(clock() - t)
    return samples


def timed(fn, repeat: int, clock=time.perf_counter) -> float:
    """The median of `repeat` warm calls (`sampled`)."""
    return statistics.median(sampled(fn, repeat, clock))


def kernel_only(plan: Plan):
    (group, indices), = groups(plan).items()
    size, starts_, inputs, seeds, stds = group_arrays(plan, indices)
    length = bucket(plan.steps + 1)
    lr, noise = _chunk_inputs(plan, indices, size, seeds, stds, 0, length)
    init = kernels.init_kernel(group[0], size)
    advance = kernels.advance_kernel(plan.landscape, group[0], length, size, False)
    ends = kernels.ends_kernel(plan.landscape, length, size)
    use_plateau = np.asarray(group[1])
    count, target, tolerance = np.int64(plan.steps + 1), np.float64(plan.target), np.float64(plan.tolerance)

    def call():
        carry = init(starts_, inputs.hyper)
        _, records, _ = advance(plan.landscape_values, carry, inputs, lr, noise, use_plateau)
        jax.block_until_ready((records, ends(records, count, target, tolerance)))

    return call


def long_plan(runs: int, steps: int) -> Plan:
    """Adam + cosine on Rosenbrock, `runs` runs of `steps` steps, built from a one-run plan (no scene limit)."""
    one = plan_of(scene_of({"landscape": {"id": "rosenbrock"}, "steps": steps, "runs": [
        {"optimizer": {"id": "adam"}, "schedule": {"id": "cosine", "params": {"lr": LR}}}]}))
    return dataclasses.replace(one, runs=tuple(dataclasses.replace(one.runs[0], start=tuple(p)) for p in starts(runs)),
                               learning_rates=np.repeat(one.learning_rates, runs, axis=0))


def main_long(spec: str, repeat: int) -> None:
    runs, steps = (int(v) for v in spec.lower().split("x"))
    plan = long_plan(runs, steps)
    first = time.perf_counter()
    run_plan(plan)
    first = time.perf_counter() - first
    engine_only = timed(lambda: run_plan(plan), repeat)
    kernel = timed(kernel_only(plan), repeat)
    print(f"jax {jax.__version__}, devices {jax.devices()}, float64 {jax.config.jax_enable_x64}; Adam + cosine on "
          f"Rosenbrock, {runs} runs x {steps} steps, median of {repeat}: first call {first:.2f} s, run_plan "
          f"{engine_only * 1e3:.1f} ms, kernels {kernel * 1e3:.1f} ms, host {(engine_only - kernel) * 1e3:.1f} ms; "
          f"load average {os.getloadavg()[0]:.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--long", help="RUNSxSTEPS: time run_plan and its kernels only, e.g. 64x50000")
    args = parser.parse_args()
    if args.long:
        return main_long(args.long, args.repeat)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    step = make_optax_step()
    compiles = []

    class Count(logging.Handler):
        def emit(self, record):
            if "Compiling" in record.getMessage():
                compiles.append(record.getMessage())

    print(f"jax {jax.__version__}, optax {optax.__version__}, devices {jax.devices()}, float64, "
          f"Adam + cosine on Rosenbrock, {STEPS} steps; median of {args.repeat}")
    header = f"{'runs':>5} {'engine ms':>10} {'plan ms':>8} {'run_plan':>9} {'kernel ms':>10} {'host ms':>8} " \
             f"{'host cpu':>8} " \
             f"{'numpy ms':>9} {'torch ms':>9} {'optax-step ms':>14} {'x numpy':>8} {'x torch':>8} {'x optax':>8} " \
             f"{'x best':>7} {'x numpy min':>11} {'load':>5}"
    print(header)
    for runs in (1, 8, 64):
        s = scene(runs)
        engine_result = run_scene(s)
        reference = numpy_loop(runs)
        ours = np.stack([np.stack([r.x, r.y], 1) for r in engine_result], 1)
        assert np.allclose(ours, reference, rtol=1e-9, atol=1e-12), "engine and numpy baseline disagree"
        logger = logging.getLogger("jax")
        handler = Count()
        logger.addHandler(handler)
        with jax.log_compiles():
            engine_samples = sampled(lambda: run_scene(s), args.repeat)
            engine = statistics.median(engine_samples)
            plan = plan_of(s)
            planning = timed(lambda: plan_of(s), args.repeat)
            engine_only = timed(lambda: run_plan(plan), args.repeat)
            kernel = timed(kernel_only(plan), args.repeat)
            host_cpu = timed(lambda: run_plan(plan), args.repeat, time.process_time) - \
                timed(kernel_only(plan), args.repeat, time.process_time)
        logger.removeHandler(handler)
        numpy_samples = sampled(lambda: numpy_loop(runs), max(3, args.repeat // 4))
        numpy_time = statistics.median(numpy_samples)
        torch_time = timed(lambda: torch_loop(runs), 3) if have_torch else float("nan")
        optax_time = timed(lambda: optax_loop(step, runs), 3)
        best = min(t for t in (numpy_time, torch_time, optax_time) if t == t)
        print(f"{runs:>5} {engine * 1e3:>10.3f} {planning * 1e3:>8.3f} {engine_only * 1e3:>9.3f} {kernel * 1e3:>10.3f} "
              f"{(engine_only - kernel) * 1e3:>8.3f} {host_cpu * 1e3:>8.3f} {numpy_time * 1e3:>9.1f} "
              f"{torch_time * 1e3:>9.1f} "
              f"{optax_time * 1e3:>14.1f} {numpy_time / engine:>8.1f} {torch_time / engine:>8.1f} "
              f"{optax_time / engine:>8.1f} {best / engine:>7.1f} {min(numpy_samples) / min(engine_samples):>11.1f} "
              f"{os.getloadavg()[0]:>5.2f}")
    print(f"recompilations during the timed engine calls: {len(compiles)}")
    main_mixed(args.repeat)


def main_mixed(repeat: int, runs: int = 8) -> None:
    """Runs of one optimizer with different hyperparameters are computed in calls of their own (a group's
    hyperparameters are scalars, `kernels.state_axes`): what that costs, against the same runs sharing β1."""
    shared, mixed = scene(runs), scene(runs, mixed=True)
    ours = np.stack([np.stack([r.x, r.y], 1) for r in run_scene(mixed)], 1)
    assert np.allclose(ours, numpy_loop(runs, mixed=True), rtol=1e-9, atol=1e-12), "engine and numpy disagree"
    shared_time, mixed_time = timed(lambda: run_scene(shared), repeat), timed(lambda: run_scene(mixed), repeat)
    numpy_time = timed(lambda: numpy_loop(runs, mixed=True), max(3, repeat // 4))
    print(f"{runs} runs, each its own β1 ({len(groups(plan_of(mixed)))} kernel calls): {mixed_time * 1e3:.3f} ms, "
          f"x numpy {numpy_time / mixed_time:.1f}; the same runs sharing β1 (1 call): {shared_time * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
