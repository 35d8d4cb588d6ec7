"""How long the event loop was held: a task asks to wake every `interval` seconds and records how late it woke.

Every request is answered by the one event-loop thread, so time a request spends computing on it (or holding
the GIL while a worker thread waits) delays every other request by as much. The lag is that delay, measured:
`record(late)` keeps the maximum since start and the maximum per wall-clock second for the last `keep` seconds,
which /api/health reports, so a load test can read the lag of exactly its own time window.

Example:
    >>> lag = LoopLag(keep=3)
    >>> lag.record(0.002, now=100.2); lag.record(0.007, now=100.9); lag.record(0.001, now=101.5)
    >>> lag.report()
    {'max_ms': 7.0, 'per_second': [[100, 7.0], [101, 1.0]]}
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict


class LoopLag:
    def __init__(self, interval: float = 0.005, keep: int = 120):
        self.interval, self.keep = interval, keep
        self.max = 0.0
        self.per_second: OrderedDict[int, float] = OrderedDict()

    def record(self, late: float, now: float | None = None) -> None:
        second = int(time.time() if now is None else now)
        self.max = max(self.max, late)
        self.per_second[second] = max(self.per_second.get(second, 0.0), late)
        while self.per_second and next(iter(self.per_second)) <= second - self.keep:
            self.per_second.popitem(last=False)

    def report(self) -> dict:
        return {"max_ms": round(self.max * 1e3, 3),
                "per_second": [[second, round(late * 1e3, 3)] for second, late in self.per_second.items()]}

    async def watch(self) -> None:
        """Run forever on the loop being watched (cancel it to stop)."""
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.record(max(0.0, time.perf_counter() - asked - self.interval))
