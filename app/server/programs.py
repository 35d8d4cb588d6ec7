"""How many XLA programs this process has compiled or loaded from JAX's persistent cache, counted from JAX's own
monitoring events (`/jax/core/compile/backend_compile_duration`, recorded once per program obtained).

A program stays in memory as long as its kernel is cached, so a server's memory grows while it compiles the
kernels its requests need and that growth is not a leak: /api/health reports the count, and the load test
(`benchmarks/load.py`) measures memory only once the count has stopped moving.

Example:
    >>> import jax, numpy as np
    >>> count_programs(); before = programs()
    >>> _ = jax.jit(lambda x: x * 3.0 + 1.0)(np.arange(3.0))
    >>> programs() - before
    1
"""
from __future__ import annotations

import threading

import jax.monitoring

PROGRAM_EVENT = "/jax/core/compile/backend_compile_duration"
_count = {"programs": 0, "listening": False}
_lock = threading.Lock()


def _on_event(event: str, duration: float, **kwargs) -> None:
    if event == PROGRAM_EVENT:
        with _lock:
            _count["programs"] += 1


def count_programs() -> None:
    """Start counting (once per process; later calls do nothing)."""
    with _lock:
        if not _count["listening"]:
            jax.monitoring.register_event_duration_secs_listener(_on_event)
            _count["listening"] = True


def programs() -> int:
    """Programs compiled or loaded since `count_programs`."""
    return _count["programs"]
