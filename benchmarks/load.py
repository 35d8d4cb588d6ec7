"""Load test: a real `optiscape serve` (uvicorn on 127.0.0.1) and N concurrent clients sending a mix of requests
for a fixed time. Reports throughput, p50/p95/p99 latency per kind and overall, the error count, the event
loop's lag (from /api/health) against the server's own compute times (Server-Timing), and the server's memory
(RSS from /proc, and the C heap in use from /api/health: RSS also counts the pages the C library keeps after a
free, which settle; the heap in use is what a leak grows) over the run.

The mix is what a class does: open the page (catalog, mesh, the default scene), change numbers (random rates
and starts: no recompiles), share (permalink, stream it), compute a basin map, a sweep, seed bands, typed
functions (a few, each compiled once), plus bad input that must get its 4xx. The first `--settle` seconds are
load too but not measured; it starts with every shape of the mix once and goes on until no server process has
compiled or loaded a program for QUIET_SECONDS and each one's run cache is FULL (`programs` and `run_cache` of
/api/health): memory is compared once every kernel of the mix is compiled and the cache of run answers has
filled, even with a cold compilation cache on a slow machine (there a 15 s settle left compiles and the cache's
filling in the window: +176 MB, against +10 MB without them).

An error is a 5xx, a transport failure, a timeout, or any answer other than the one expected (200 for good
input, the documented 4xx for bad input).

With `--workers N` the server is `optiscape serve --workers N`: the RSS is then the sum over its processes (the
supervisor and every worker), and the measured window starts once every worker has warmed up.

Usage: .venv/bin/python benchmarks/load.py [--clients 8] [--seconds 60] [--settle 20] [--workers 1]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import httpx  # noqa: E402

from server import serving  # noqa: E402

from app.contract.catalog import DEFAULT_SCENE  # noqa: E402

SCHEDULES = ["constant", "cosine", "step", "exponential", "warmup_cosine", "sgdr", "one_cycle", "triangular"]
EXPRESSIONS = ["(x^2 + y - 11)^2 + (x + y^2 - 7)^2", "x^2 + 10*y^2 + a*sin(3*x)", "log(1 + x^2 + y^2) - exp(-x^2)"]

# The shapes people try (landscape, optimizers, steps): each compiles once; the numbers in them vary freely.
SHAPES = {
    "page": ("rosenbrock", ["sgd", "momentum", "nesterov", "adam"] * 2, 1000),
    "small": [("peaks", ["adam"], 300), ("saddle1", ["sgd", "momentum"], 500), ("himmelblau", ["rmsprop"] * 3, 500),
              ("beale", ["yogi", "adam"], 300), ("rastrigin", ["momentum"] * 4, 500)],
    "large": ("peaks", ["sgd", "adam"] * 16, 5000),
}


def schedule(rng: random.Random) -> dict:
    """A schedule with a random rate: changing it never recompiles."""
    kind, lr = rng.choice(SCHEDULES), 10 ** rng.uniform(-3.5, -1.5)
    if kind == "one_cycle":
        return {"id": kind, "params": {"max_lr": lr}}
    if kind == "triangular":
        return {"id": kind, "params": {"max_lr": lr, "base_lr": lr / 10}}
    return {"id": kind, "params": {"lr": lr}}


# kind -> the shapes or typed functions it chooses among (the compile pass sends each once)
CHOICES = {"mesh": SHAPES["small"], "runs_small": SHAPES["small"], "permalink": SHAPES["small"],
           "expression": EXPRESSIONS}


def scene(rng: random.Random, shape: tuple) -> dict:
    landscape, optimizers, steps = shape
    return {"landscape": {"id": landscape}, "steps": steps, "runs": [
        {"optimizer": {"id": optimizer}, "schedule": schedule(rng),
         "start": [rng.uniform(-1.5, 1.5), rng.uniform(-1.0, 1.5)]} for optimizer in optimizers]}


def request_for(kind: str, rng: random.Random, token: str,
                variant: int | None = None) -> tuple[str, str, dict | None, int]:
    """(method, path, JSON body, expected status) of one request of `kind`; `variant` picks its shape or typed
    function (index into `CHOICES[kind]`) instead of the random choice."""
    choose = rng.choice if variant is None else (lambda options: options[variant])
    if kind == "catalog":
        return "GET", "/api/catalog", None, 200
    if kind == "mesh":
        return "GET", f"/api/landscapes/{choose(CHOICES[kind])[0]}/mesh?n=80", None, 200
    if kind == "runs":  # the page: 8 runs x 1000 steps
        return "POST", "/api/runs", scene(rng, SHAPES["page"]), 200
    if kind == "default_scene":  # what the page computes on each change of its first scene
        body = json.loads(json.dumps(DEFAULT_SCENE))
        for each in body["runs"]:  # its rates moved by up to a factor 2 either way (a slider's drag)
            params = each["schedule"].setdefault("params", {})
            rate = "max_lr" if "max_lr" in params else "lr"
            params[rate] = params.get(rate, 0.01) * 2 ** rng.uniform(-1, 1)
        return "POST", "/api/runs", body, 200
    if kind == "runs_small":
        return "POST", "/api/runs", scene(rng, choose(CHOICES[kind])), 200
    if kind == "runs_large":  # 32 runs x 5000 steps: a heavy but allowed scene
        return "POST", "/api/runs", scene(rng, SHAPES["large"]), 200
    if kind == "noisy":
        body = scene(rng, ("peaks", ["sgd"] * 4, 2000))
        for run in body["runs"]:
            run["noise"] = {"std": 0.2, "seed": rng.randrange(1000)}
        return "POST", "/api/runs", body, 200
    if kind == "expression":
        f = choose(CHOICES[kind])
        landscape = {"id": "expression", "params": {"f": f, "constants": {"a": rng.uniform(0, 2)} if "a" in f else {}}}
        return "POST", "/api/runs", {"landscape": landscape, "steps": 500,
                                     "runs": [{"start": [rng.uniform(-2, 2), rng.uniform(-2, 2)],
                                               "schedule": {"id": "constant", "params": {"lr": 0.002}}}]}, 200
    if kind == "permalink":
        return "POST", "/api/permalinks", scene(rng, choose(CHOICES[kind])), 200
    if kind == "stream":
        return "GET", f"/api/runs/stream?s={token}", None, 200
    if kind == "basins":
        return "POST", "/api/basins", {"scene": scene(rng, ("himmelblau", ["momentum"], 300)), "run": 0, "n": 48}, 200
    if kind == "sweep":
        body = scene(rng, ("rosenbrock", ["adam"], 500))
        body["runs"][0]["schedule"] = {"id": "cosine", "params": {"lr": 0.01}}
        return "POST", "/api/sweeps", {"scene": body, "run": 0,
                                       "x": {"param": "schedule.params.lr", "values": [10 ** (-4 + i / 8) for i in range(24)]}}, 200
    if kind == "seeds":
        body = scene(rng, ("peaks", ["sgd"], 500))
        body["runs"][0]["noise"] = {"std": 0.3, "seed": 0}
        return "POST", "/api/seeds", {"scene": body, "run": 0, "seeds": 16}, 200
    if kind == "bad_scene":  # a rate out of range: 422 naming the field
        body = scene(rng, SHAPES["small"][1])
        body["runs"][1]["schedule"] = {"id": "constant", "params": {"lr": -1.0}}
        return "POST", "/api/runs", body, 422
    if kind == "bad_token":
        return "GET", "/api/permalinks/" + "".join(rng.choice("abcdefXYZ019_-") for _ in range(60)), None, 400
    if kind == "bad_expression":
        return "POST", "/api/runs", {"landscape": {"id": "expression", "params": {"f": "__import__('os')"}},
                                     "runs": [{}]}, 422
    raise ValueError(kind)


QUIET_SECONDS = 5.0  # the settle ends once no server process has compiled or loaded a program for this long
FULL = 0.9  # and each one's run cache holds at least this share of its bound (it fills, then the oldest go)
MORE_SETTLE_SECONDS = 300.0  # beyond `settle`: a server that still compiles after that is an error

# kind -> weight: mostly what the page does on every change
MIX = {"runs": 30, "runs_small": 15, "mesh": 8, "catalog": 4, "noisy": 6, "expression": 6, "permalink": 4,
       "stream": 6, "basins": 3, "sweep": 3, "seeds": 3, "runs_large": 2, "bad_scene": 4, "bad_token": 3,
       "bad_expression": 3}


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    status: int | str
    compute_ms: float | None = None


@dataclass
class Report:
    seconds: float
    clients: int
    samples: list[Sample] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (time since start, RSS MB)
    heap_mb: list[tuple[float, float]] = field(default_factory=list)  # (time since start, C heap in use, MB)
    loop_lag_per_second_ms: list[float] = field(default_factory=list)  # each second's largest lag, in the window
    cpu_seconds: float = 0.0  # CPU time the server's processes used in the measured window
    settle_seconds: float = 0.0  # load before the window: at least `settle`, until the server stopped compiling
    programs_in_window: int = 0  # programs compiled or loaded in the window (by the process answering last)

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    def percentiles(self, kind: str | None = None) -> tuple[float, float, float]:
        times = sorted(s.seconds for s in self.samples if kind is None or s.kind == kind)
        if not times:
            return (float("nan"),) * 3
        pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1e3
        return pick(0.50), pick(0.95), pick(0.99)

    def memory_growth(self, measure: str = "rss") -> tuple[float, float, float]:
        """(MB at the start of the window, at its end, growth) of the RSS or (`measure` "heap") of the C heap in
        use (/api/health's `heap_bytes`, summed over the server's processes): each the median of a fifth of the
        samples."""
        values = [mb for _, mb in (self.heap_mb if measure == "heap" else self.rss_mb)]
        fifth = max(1, len(values) // 5)
        first, last = statistics.median(values[:fifth]), statistics.median(values[-fifth:])
        return first, last, last - first

    def worst_loop_lag_ms(self) -> float:
        """The largest lag of any second of the measured window."""
        return max(self.loop_lag_per_second_ms, default=0.0)

    def typical_loop_lag_ms(self, share: float = 0.9) -> float:
        """The lag that `share` of the window's seconds stay within (their largest lag each): what work done on the
        loop would raise in most seconds, since every kind of request comes several times a second; the worst
        second alone also holds the machine's own pauses (a virtual machine whose neighbours take its cores)."""
        lags = sorted(self.loop_lag_per_second_ms)
        return lags[min(len(lags) - 1, int(share * len(lags)))] if lags else 0.0

    def largest_compute_ms(self) -> float:
        return max((s.compute_ms for s in self.samples if s.compute_ms is not None), default=0.0)

    def lines(self) -> list[str]:
        p50, p95, p99 = self.percentiles()
        first, last, growth = self.memory_growth()
        out = [f"{self.clients} clients, {self.seconds:.0f} s measured after {self.settle_seconds:.0f} s of load to "
               f"compile the mix: {len(self.samples)} requests, "
               f"{len(self.samples) / self.seconds:.1f} requests/s, {len(self.errors)} errors",
               f"server CPU: {self.cpu_seconds:.1f} s in the window, {len(self.samples) / max(self.cpu_seconds, 1e-9):.1f} "
               f"requests per CPU-second (requests/s per core, whoever else uses the machine)",
               f"latency all kinds: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms",
               f"server RSS: {first:.0f} MB -> {last:.0f} MB ({growth:+.1f} MB over the window; "
               f"{self.programs_in_window} programs compiled in it)",
               "server C heap in use: {:.0f} MB -> {:.0f} MB ({:+.1f} MB over the window)".format(
                   *self.memory_growth("heap")),
               f"event loop lag, worst second: {self.worst_loop_lag_ms():.1f} ms, 9 seconds in 10 within "
               f"{self.typical_loop_lag_ms():.1f} ms; largest single compute: {self.largest_compute_ms():.1f} ms",
               f"{'kind':<15}{'count':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"]
        for kind in MIX:
            count = sum(1 for s in self.samples if s.kind == kind)
            if count:
                out.append(f"{kind:<15}{count:>7}" + "".join(f"{v:>10.1f}" for v in self.percentiles(kind)))
        for error in self.errors[:10]:
            out.append(f"error: {error.kind} -> {error.status}")
        return out


def processes(pid: int) -> list[int]:
    """`pid` and every process below it (a supervisor's workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += processes(int(child))
    return found


def rss_mb(pid: int) -> float:
    """The resident memory of `pid` and every process below it, in MB."""
    total = 0.0
    for each in processes(pid):
        try:
            lines = Path(f"/proc/{each}/status").read_text().splitlines()
        except FileNotFoundError:
            continue  # ended meanwhile
        total += next(int(line.split()[1]) for line in lines if line.startswith("VmRSS:")) / 1024
    return total


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of `pid` and every process below it, in seconds."""
    total = 0
    for each in processes(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def compute_ms(header: str | None) -> float | None:
    """The compute part of a Server-Timing header (None when the answer has none)."""
    for part in (header or "").split(","):
        name, _, value = part.strip().partition(";dur=")
        if name == "compute" and value:
            return float(value)
    return None


async def one_request(client: httpx.AsyncClient, kind: str, rng: random.Random, token: str) -> Sample:
    method, path, body, expected = request_for(kind, rng, token)
    started = time.perf_counter()
    try:
        async with client.stream(method, path, json=body) as response:
            async for _ in response.aiter_raw():  # read everything, as sent (no decompression)
                pass
            status = response.status_code
            timing = compute_ms(response.headers.get("server-timing"))
        return Sample(kind, time.perf_counter() - started, status == expected, status, timing)
    except httpx.HTTPError as e:
        return Sample(kind, time.perf_counter() - started, False, type(e).__name__)


async def load(url: str, pid: int, clients: int, seconds: float, settle: float, seed: int = 0) -> Report:
    kinds, weights = list(MIX), list(MIX.values())
    timeout = httpx.Timeout(120.0)
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits,
                                 headers={"Accept-Encoding": "gzip"}) as client:
        first = await client.post("/api/permalinks", json=scene(random.Random(seed), ("peaks", ["adam"] * 4, 3000)))
        token = first.json()["token"]
        report = Report(seconds=seconds, clients=clients)
        begin = time.perf_counter()
        window = {"from": math.inf, "end": math.inf}  # set once the server has settled

        async def client_loop(index: int):
            rng = random.Random(seed * 1000 + index)
            while (now := time.perf_counter()) < window["end"]:
                sample = await one_request(client, rng.choices(kinds, weights)[0], rng, token)
                if now >= window["from"]:
                    report.samples.append(sample)

        for kind in kinds:  # every shape of the mix once, so the settle below only has rare compiles to wait for
            for variant in range(len(CHOICES.get(kind, [None]))):
                method, path, body, _ = request_for(kind, random.Random(variant), token, variant)
                await client.request(method, path, json=body)

        async def settle_then_measure():
            programs, moved, filling = {}, math.inf, {}  # pid -> programs; when a count last moved; pid -> cache
            while ((now := time.perf_counter()) - begin < settle or now - moved < QUIET_SECONDS
                   or any(cache["bytes"] < FULL * cache["max_bytes"] for cache in filling.values())):
                if now - begin > settle + MORE_SETTLE_SECONDS:
                    raise RuntimeError(f"not settled after {now - begin:.0f} s of load: programs {programs}, "
                                       f"run caches {filling}")
                health = (await client.get("/api/health")).json()
                if programs.get(health["pid"]) != health["programs"]:
                    programs[health["pid"]], moved = health["programs"], now
                filling[health["pid"]] = health["run_cache"]
                await asyncio.sleep(0.25)
            report.settle_seconds = now - begin
            window.update({"from": now, "end": now + seconds, "wall_from": time.time(), "programs": programs})
            report.cpu_seconds = -cpu_seconds(pid)
            heap = {}  # pid -> its latest heap in use
            while (now := time.perf_counter()) < window["end"]:
                report.rss_mb.append((now - window["from"], rss_mb(pid)))
                health = (await client.get("/api/health")).json()
                heap[health["pid"]] = health["heap_bytes"] or 0
                report.heap_mb.append((now - window["from"], sum(heap.values()) / 2**20))
                await asyncio.sleep(0.5)

        await asyncio.gather(settle_then_measure(), *(client_loop(i) for i in range(clients)))
        report.cpu_seconds += cpu_seconds(pid)
        wall_to = time.time()
        health = (await client.get("/api/health")).json()
        report.programs_in_window = health["programs"] - window["programs"].get(health["pid"], 0)
        report.loop_lag_per_second_ms = [lag for second, lag in health["loop_lag"]["per_second"]
                                         if window["wall_from"] <= second < wall_to - 1]
    return report


def wait_until_warm(url: str, workers: int, timeout: float = 600) -> None:
    """Until `workers` distinct processes have answered /api/health warm (any one of them answers each call)."""
    warm, deadline = set(), time.monotonic() + timeout
    while len(warm) < workers and time.monotonic() < deadline:
        health = httpx.get(url + "/api/health").json()
        if health["warm"]:
            warm.add(health["pid"])
        time.sleep(0.1)


def run(clients: int, seconds: float, settle: float, env: dict | None = None, workers: int = 1) -> Report:
    with serving("--workers", str(workers), env=env, timeout=600) as url:  # N processes start slower
        wait_until_warm(url, workers)
        return asyncio.run(load(url, url.pid, clients, seconds, settle))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=20)
    parser.add_argument("--workers", type=int, default=1, help="server processes (optiscape serve --workers)")
    parser.add_argument("--only", choices=[*MIX, "default_scene"], help="send this kind alone (default_scene: the page's first "
                        "scene, with random rates)")
    args = parser.parse_args()
    if args.only:
        MIX.clear()
        MIX[args.only] = 1
    before = os.getloadavg()
    report = run(args.clients, args.seconds, args.settle, workers=args.workers)
    print(f"{args.workers} worker(s), mix {args.only or 'all'}; load average before {before}, after {os.getloadavg()}")
    print("\n".join(report.lines()))
    every = max(1, len(report.rss_mb) // 20)
    print(json.dumps({"rss_mb": [round(mb, 1) for _, mb in report.rss_mb[::every]],
                      "heap_mb": [round(mb, 1) for _, mb in report.heap_mb[::every]]}))


if __name__ == "__main__":
    main()
