"""Where kernel calls run: every JAX device at once, one thread per device, and whether those are accelerators.

With one CPU device per core (`app.server.runtime.use_every_core`), calls placed on different devices run on
different cores. Dispatch is synchronous (`app/__init__.py`): a call returns when its numbers are computed, and
JAX releases the GIL while it computes, so one thread per device is what keeps every core busy. A grid's blocks are
cut from its size alone (`grid.block_size`), never from the number of devices, so any number of devices computes
the same programs on the same inputs: the same numbers, bit for bit.

The run kernel keeps a scene's group in one call: cut in two 32-run calls on two devices, a 64-run group's kernels
took 1.2 ms against 1.36 for one call, and `run_plan` 2.3-2.7 ms against 1.9-2.4 (benchmarks/engine.py's scene,
alternating in one process on this 2-core machine): a thread hand-off and the GIL-held work around each call cost
more than half a millisecond of kernel saves.

Example:
    >>> spread(lambda item, device: item * 10, [1, 2, 3])
    [10, 20, 30]
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from functools import lru_cache
from typing import Callable, Sequence, TypeVar

import jax

Item, Out = TypeVar("Item"), TypeVar("Out")


def on_accelerator() -> bool:
    """Whether kernels run on a GPU (or another accelerator) rather than XLA:CPU. There, a branch inside a loop reads
    its flag back to the host every step (`kernels.RunInputs.gradient_work`) and a call is cheap next to its
    launches (`grid.block_size`)."""
    return jax.default_backend() != "cpu"


@lru_cache(maxsize=None)
def _helpers(threads: int) -> ThreadPoolExecutor:
    """Threads that run the devices' calls beside the caller's own; made once per process (a thread costs ~0.1 ms
    to start)."""
    return ThreadPoolExecutor(threads, thread_name_prefix="optiscape-device")


def spread(work: Callable[[Item, jax.Device], Out], items: Sequence[Item]) -> list[Out]:
    """[work(item, device) for each item]: item i on device i mod n, each device's items in order on one thread (the
    caller's for device 0, a helper's for each other), so the n devices compute at once. Returns when every lane
    has ended; an error is raised here, the caller's lane's first, else the first helper lane's. `work` must not
    call `spread` itself: the helper threads are shared, and a lane would wait for its own thread.

    >>> spread(lambda item, device: 1 // item, [1, 0])
    Traceback (most recent call last):
    ...
    ZeroDivisionError: integer division or modulo by zero
    """
    devices = jax.devices()
    lanes = max(1, min(len(devices), len(items)))
    out: list = [None] * len(items)

    def lane(d: int) -> None:
        for i in range(d, len(items), lanes):
            out[i] = work(items[i], devices[d])

    helpers = [_helpers(len(devices) - 1).submit(lane, d) for d in range(1, lanes)] if lanes > 1 else []
    try:
        lane(0)
    finally:
        wait(helpers)  # every lane has ended before spread returns or raises
    for future in helpers:
        future.result()  # the first helper lane's error, if the caller's lane had none
    return out
