"""The bytes this process holds in use on its C heap, over every malloc arena (glibc's `mallinfo2`: uordblks +
hblkhd), the measure of a leak: RSS also counts the pages glibc keeps after a free, which settle at a level set by
the arenas and the mix of sizes (`runtime.limit_malloc_arenas`); bytes in use only grow with what is kept.
numpy's arrays and XLA's CPU buffers are allocated there. None where the C library is not glibc 2.33 or later.

Example:
    >>> import numpy as np
    >>> before = heap_in_use_bytes(); block = np.ones(4 << 20); after = heap_in_use_bytes()
    >>> before is None or after - before >= block.nbytes
    True
"""
from __future__ import annotations

import ctypes


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _mallinfo2():
    try:
        function = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    return function


_MALLINFO2 = _mallinfo2()


def heap_in_use_bytes() -> int | None:
    """Bytes in use: small blocks from the arenas plus blocks mapped on their own (large arrays)."""
    if _MALLINFO2 is None:
        return None
    info = _MALLINFO2()
    return info.uordblks + info.hblkhd
