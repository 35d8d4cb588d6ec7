"""The bounded load test, short: a real uvicorn, 6 concurrent clients sending the mixed requests of
benchmarks/load.py (page scenes, large scenes, streams, basins, sweeps, typed functions, bad input) for 20 s
after at least 15 s of the same load, until the server has compiled the whole mix. The full figures come from
`benchmarks/load.py`.

Asserted: no error (every answer the expected one, no 5xx, no timeout); in 9 seconds of 10 the event loop was
never held longer than the largest single compute the server itself reported (so no request computes or encodes
on the loop);
the server's memory in use (its C heap) did not grow over the measured window beyond the noise of one large
answer."""
import sys

import pytest

from server import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import load  # noqa: E402

ONE_LARGE_ANSWER_MB = 64  # a 32 x 5000 scene: 18 MB of JSON, 4.6 MB gzip, float64 arrays alongside


@pytest.fixture(scope="module")
def report():
    return load.run(clients=6, seconds=20, settle=15)


def test_every_request_under_load_gets_its_expected_answer(report):
    print("\n".join(report.lines()))
    assert len(report.samples) > 100
    assert {s.kind for s in report.samples} >= set(load.MIX) - {"runs_large"}
    assert report.errors == []


def test_no_request_holds_the_event_loop_longer_than_one_scene_compute(report):
    """Work done on the loop would show in most seconds (every kind of request comes several times a second), so
    the lag 9 seconds in 10 stay within is compared. The worst second also holds the machine's own pauses: in CI
    on 2 shared cores it reached 61 ms against a largest compute of 57 ms, where alone it was 30-43 ms (the
    largest compute shrinks as the engine gets faster)."""
    assert report.largest_compute_ms() > 0 and len(report.loop_lag_per_second_ms) >= 10
    assert report.typical_loop_lag_ms() < report.largest_compute_ms(), "\n".join(report.lines())


def test_memory_does_not_grow_under_steady_load(report):
    """The C heap in use: the RSS also holds the pages glibc keeps after frees, whose level settles slowly (tens of
    MB over a 20 s window on 2 cores with no byte more in use); it is printed with the report."""
    first, last, growth = report.memory_growth("heap")
    assert first > 0 and growth < ONE_LARGE_ANSWER_MB, "\n".join(report.lines())
