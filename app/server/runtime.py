"""Process settings the server makes once at start: one JAX CPU device per core, JAX's persistent compilation
cache and glibc's malloc arenas.

`OPTISCAPE_JAX_CACHE` chooses where the compilation cache lives (default ~/.cache/optiscape/jax; "off" disables
it); it keeps compiled kernels across restarts, so a restarted server answers its first scene without compiling.

Example:
    >>> import os
    >>> os.environ["OPTISCAPE_JAX_CACHE"] = "off"; compilation_cache_dir() is None
    True
    >>> del os.environ["OPTISCAPE_JAX_CACHE"]
"""
from __future__ import annotations

import ctypes
import os

import jax


def cpu_devices() -> int:
    """The number of JAX CPU devices wanted: `OPTISCAPE_CPU_DEVICES`, else the cores this process may use."""
    setting = os.environ.get("OPTISCAPE_CPU_DEVICES")
    return int(setting) if setting else len(os.sched_getaffinity(0))


def use_every_core() -> int:
    """One JAX CPU device per core (`cpu_devices`), so the blocks of a grid (`app.engine.grid`) run on every core
    at once; a single trajectory kernel still runs on one. Only possible before JAX computes anything: after that
    it changes nothing. Returns the number of devices JAX has."""
    try:
        jax.config.update("jax_num_cpu_devices", cpu_devices())
    except RuntimeError:  # JAX's backend has started already
        pass
    return jax.device_count()


def compilation_cache_dir() -> str | None:
    setting = os.environ.get("OPTISCAPE_JAX_CACHE")
    if setting == "off":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return setting or os.path.join(base, "optiscape", "jax")


def enable_compilation_cache() -> str | None:
    path = compilation_cache_dir()
    if path:
        os.makedirs(path, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


def limit_malloc_arenas() -> bool:
    """Two glibc malloc arenas and a fixed 1 MB mmap threshold (as MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576).

    glibc gives each busy thread its own arena (up to 8 per core) and, after a large block is freed, raises its
    mmap threshold, so the next 18 MB answer is carved from an arena that keeps the pages. Measured under the
    load test (benchmarks/load.py, 8 clients): RSS grew from 1027 to 1230 MB in 150 s; with this setting it
    stays between 800 and 860 MB. False where the C library is not glibc (nothing to tune there)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
    return bool(libc.mallopt(M_ARENA_MAX, 2)) and bool(libc.mallopt(M_MMAP_THRESHOLD, 1 << 20))
