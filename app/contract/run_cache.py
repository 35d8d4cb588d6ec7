"""The runs answered lately, kept so that a scene that differs from an earlier one in one run computes that run
alone: what a slider dragging one run's parameter asks for, about 30 times a second.

A run's result depends on the scene's landscape, steps, tolerance and `internals` and on the run itself, never on
the other runs of its scene (tests/test_run_cache.py checks it, bit for bit), so its key is the normalised scene
without its runs, with that run, less what only names or shows it (label, colour, visibility, the preset). A
4-run scene of 1000 steps where one run changed: 4.7 -> 1.2 ms of the server's compute on a 2-core machine.

Bounded by RUN_CACHE_BYTES, the least recently used run out first: an entry counts its key, its arrays (numpy, or
their base64 when typed) and ENTRY_OVERHEAD for the dicts around them. Thread-safe (the server computes in worker
threads). A plain answer's arrays are copies of their own, read-only: a run cut at its first steps does not keep
its group's padded records alive, and whoever gets a kept answer cannot change its numbers. The dicts around them
are shared: callers read answers, never change them.

Example:
    >>> cache = RunCache(max_bytes=ENTRY_OVERHEAD + 100)
    >>> cache.put("a", {"x": "12345678"}), cache.get("a"), cache.get("b")
    (None, {'x': '12345678'}, None)
    >>> cache.put("b", {"x": "9" * 200}), cache.get("b"), len(cache)  # larger than the whole cache: not kept
    (None, None, 1)
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import orjson

from ..vocabulary.limits import RUN_CACHE_BYTES

NOT_IN_KEY = {"scene": {"runs", "preset"}, "run": {"label", "colour", "visible"}}  # they change no number
ENTRY_OVERHEAD = 2048  # about what an entry holds besides its key and arrays: dicts, summary, typed wrappers


def run_keys(normalised: dict, typed: bool) -> list[bytes]:
    """One key per run of a normalised scene (`Scene.model_dump()`, which the answer carries anyway): what its
    answer depends on, and the answer's form (`typed`)."""
    common = {name: value for name, value in normalised.items() if name not in NOT_IN_KEY["scene"]}
    return [orjson.dumps({"scene": common, "typed": typed,
                          "run": {name: value for name, value in run.items() if name not in NOT_IN_KEY["run"]}},
                         option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
            for run in normalised["runs"]]


def size_of(answer: dict) -> int:
    """Bytes of a run's answer, counted as its arrays (numpy) or their base64 (typed) and its internals."""
    total = 0
    for value in answer.values():
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, dict):
            total += size_of(value)
        elif isinstance(value, str):
            total += len(value)
    return total


def frozen(answer: dict) -> dict:
    """A run's answer with every numpy array in it (its internals too) replaced by a read-only copy of its own."""
    for name, value in answer.items():
        if isinstance(value, np.ndarray):
            answer[name] = value = value.copy()
            value.flags.writeable = False
        elif isinstance(value, dict):
            frozen(value)
    return answer


class RunCache:
    """Run answers by key, least recently used out first once their bytes pass `max_bytes`."""

    def __init__(self, max_bytes: int = RUN_CACHE_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._answers: OrderedDict[bytes | str, tuple[dict, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key) -> dict | None:
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                return None
            self._answers.move_to_end(key)
            return found[0]

    def put(self, key, answer: dict) -> None:
        size = len(key) + size_of(answer) + ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._answers:
                self.bytes -= self._answers.pop(key)[1]
            self._answers[key] = (answer, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                self.bytes -= self._answers.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self.bytes = 0


RUNS = RunCache()  # the process's: every answer of POST /api/runs goes through it
