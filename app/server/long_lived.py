"""Keep Python's garbage collector from stalling every request: freeze what lives as long as the server.

A full collection walks every tracked object with the GIL held. Tracing and compiling a kernel leaves tens of
thousands of long-lived objects (jaxprs, lowering caches), so after the warm-up a full collection took 105 ms,
and under load such pauses showed as 100-200 ms event-loop lag. `gc.freeze()` moves every object alive now out
of the collector's sight; frozen, a full collection of the remaining young objects takes well under 1 ms.

New kernels keep coming (a new shape, a typed function), so freezing once is not enough: JAX reports each
trace (`jax.monitoring`), and the next worker thread to finish a request (`after_request`) collects what is
garbage now (cheap: only what is not frozen yet) and freezes the rest. Objects that other requests hold at that
instant are frozen too; they are still freed by reference counting, only cyclic garbage among them would stay,
and a request makes little of it.

Example:
    >>> watch_traces()
    >>> freeze()
    >>> after_request()  # nothing traced since the last freeze: does nothing
    False
    >>> import jax; _ = jax.jit(lambda x: x + 1)(1.0)  # a new trace
    >>> after_request()
    True
"""
from __future__ import annotations

import gc
import threading

from jax import monitoring

TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
_traced = threading.Event()
_freezing = threading.Lock()
_watching = False


def _on_duration_event(name: str, seconds: float, **kwargs) -> None:
    if name == TRACE_EVENT:
        _traced.set()


def watch_traces() -> None:
    """Listen for JAX traces (once per process)."""
    global _watching
    if not _watching:
        monitoring.register_event_duration_secs_listener(_on_duration_event)
        _watching = True


def freeze() -> None:
    """Collect what is garbage now, then freeze every object still alive."""
    with _freezing:
        _traced.clear()
        gc.collect()
        gc.freeze()


def after_request() -> bool:
    """Freeze if anything was traced since the last freeze; True when it did (call it from a worker thread)."""
    if not _traced.is_set():
        return False
    freeze()
    return True
