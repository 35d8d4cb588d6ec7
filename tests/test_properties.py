"""Property-based tests (Hypothesis) for the scene model and the permalink codec.

Valid scenes are drawn from the same parameter lists that validate them (every landscape, optimizer and
schedule, any subset of parameters given, any value in the documented range); a draw that breaks a rule
between parameters (a warm-up longer than the run, say) is discarded, not counted.
"""
import base64
import math
import zlib
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.contract import permalink
from app.server.factory import create_app
from app.optimizers import OPTIMIZERS
from app.contract.permalink import TokenError, decode, encode
from app.contract.scene import normalise
from app.vocabulary.limits import MAX_SCENE_BYTES, MAX_STEPS, MAX_TOKEN_LENGTH
from app.schedules import SCHEDULES
from landscapes import LANDSCAPES

PROPERTY = settings(max_examples=150, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.filter_too_much])
SIMPLE_SCHEDULES = sorted(k for k in SCHEDULES if k not in ("sequence", "expression"))
SIMPLE_OPTIMIZERS = sorted(k for k in OPTIMIZERS if k != "lookahead")


def number(param, steps: int, integer: bool):
    lo, hi = param.bound("min", steps), param.bound("max", steps)
    lo = -1e3 if lo is None else lo
    hi = (lo + 1e3 if lo > -1e3 else 1e3) if hi is None else hi
    if integer:
        lo = math.floor(lo) + (1 if param.min_exclusive and float(lo).is_integer() else 0)
        hi = math.ceil(hi) - (1 if param.max_exclusive and float(hi).is_integer() else 0)
        if lo > hi:  # no valid value at this step count (a milestone in (0, T) with T = 1): leave it out
            return None
        return st.integers(int(math.ceil(lo)), int(math.floor(hi)))
    values = st.floats(lo, hi, exclude_min=param.min_exclusive, exclude_max=param.max_exclusive,
                       allow_nan=False, allow_infinity=False)
    if param.scale == "log" and lo >= 0:  # also the small values a log control reaches
        values = st.one_of(values, st.floats(max(lo, 1e-9), min(hi, 1.0), exclude_min=param.min_exclusive,
                                             allow_nan=False).map(lambda v: v))
    return values


def value_of(param, steps: int):
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    if param.kind in ("float", "int"):
        return number(param, steps, param.kind == "int")
    if param.kind in ("float_list", "int_list"):
        element = number(param, steps, param.kind == "int_list")
        return None if element is None else st.lists(element, min_size=1, max_size=min(param.max_length, 4)).map(sorted)
    return None  # a nested value (sequence parts, an inner optimizer, a typed function): its default


@st.composite
def params_of(draw, params, steps: int) -> dict:
    chosen = {}
    for param in params:
        strategy = value_of(param, steps)
        if strategy is not None and draw(st.booleans()):
            chosen[param.name] = draw(strategy)
    return chosen


@st.composite
def scenes(draw) -> dict:
    """A scene as a user might write it: some fields given, the rest left to their defaults."""
    landscape = LANDSCAPES[draw(st.sampled_from(sorted(LANDSCAPES)))]
    steps = draw(st.integers(1, 3000) | st.integers(1, MAX_STEPS))
    (x0, x1), (y0, y1) = landscape.domain
    runs = []
    for _ in range(draw(st.integers(1, 4))):
        optimizer = OPTIMIZERS[draw(st.sampled_from(SIMPLE_OPTIMIZERS))]
        schedule = SCHEDULES[draw(st.sampled_from(SIMPLE_SCHEDULES))]
        run = {"optimizer": {"id": optimizer.id, "params": draw(params_of(optimizer.params, steps))},
               "schedule": {"id": schedule.id, "params": draw(params_of(schedule.params, steps))}}
        if draw(st.booleans()):
            run["start"] = [draw(st.floats(x0, x1)), draw(st.floats(y0, y1))]
        if draw(st.booleans()):
            run["noise"] = {"std": draw(st.floats(0, 10)), "seed": draw(st.integers(0, 2**32 - 1))}
        if draw(st.booleans()):
            run["clip_norm"] = draw(st.floats(1e-6, 1e6))
        if draw(st.booleans()):
            run["label"] = draw(st.text(max_size=80))
        runs.append(run)
    return {"landscape": {"id": landscape.id, "params": draw(params_of(landscape.params, steps))},
            "steps": steps, "runs": runs}


def as_json(value):
    """The value as JSON gives it back (tuples become lists)."""
    return orjson.loads(orjson.dumps(value))


def valid(data: dict) -> dict:
    try:
        return normalise(data)
    except ValidationError:
        assume(False)


@PROPERTY
@given(scenes())
def test_a_valid_scene_normalises_once_and_round_trips_exactly_through_a_permalink(data):
    scene = valid(data)
    assert normalise(scene) == scene  # normalising again changes nothing
    token = encode(scene)
    assert len(token) <= MAX_TOKEN_LENGTH
    back = decode(token)
    assert back == as_json(scene)  # every float bit for bit, every string, every default
    assert normalise(back) == scene


client = TestClient(create_app(warm_up_scope="off"), raise_server_exceptions=False)


@PROPERTY
@given(scenes())
def test_the_api_gives_back_the_scene_a_permalink_holds(data):
    scene = valid(data)
    made = client.post("/api/permalinks", json=data)
    assert made.status_code == 200
    read = client.get(f"/api/permalinks/{made.json()['token']}")
    assert read.status_code == 200 and read.json() == as_json(scene)


@PROPERTY
@given(scenes(), st.data())
def test_one_value_out_of_range_is_refused_naming_that_field(data, draw):
    valid(data)
    run = draw.draw(st.integers(0, len(data["runs"]) - 1))
    schedule = SCHEDULES[data["runs"][run]["schedule"]["id"]]
    bounded = [p for p in schedule.params if p.kind == "float" and p.max is not None and p.max != "T"]
    assume(bounded)
    param = draw.draw(st.sampled_from(bounded))
    data["runs"][run]["schedule"]["params"][param.name] = param.max * 2 + 1
    with pytest.raises(ValidationError) as refused:
        normalise(data)
    where = [tuple(str(part) for part in e["loc"]) for e in refused.value.errors()]
    assert ("runs", str(run), "schedule", "params", param.name) in where
    message = next(e["msg"] for e in refused.value.errors() if e["loc"][-1] == param.name)
    assert "must be" in message  # and it says the allowed range


class CountingZlib:
    """zlib for app.permalink, counting every byte its decompressors produce."""

    error = zlib.error
    compressobj = staticmethod(zlib.compressobj)
    produced = 0

    @classmethod
    def decompressobj(cls, *args, **kwargs):
        inner = zlib.decompressobj(*args, **kwargs)

        class Counting:
            def decompress(self, data, max_length=0):
                out = inner.decompress(data, max_length)
                CountingZlib.produced += len(out)
                return out

            def __getattr__(self, name):
                return getattr(inner, name)

        return Counting()


def deflate(raw: bytes) -> str:
    packer = zlib.compressobj(level=9, wbits=-15)
    return base64.urlsafe_b64encode(packer.compress(raw) + packer.flush()).rstrip(b"=").decode()


tokens = st.one_of(
    st.text(max_size=300),  # anything at all
    st.text(alphabet="ABCDEFabcdef0123456789-_", max_size=400),  # base64url of junk
    st.binary(max_size=3000).map(deflate),  # valid DEFLATE of random bytes
    st.builds(lambda unit, n: deflate(unit * n), st.binary(min_size=1, max_size=8),  # deflate bombs
              st.integers(MAX_SCENE_BYTES // 8, 8 * MAX_SCENE_BYTES)),
    scenes().map(lambda s: encode(s)[:-1]),  # a good token with its end cut off
    st.builds(lambda s, cut: encode(s)[:cut], scenes(), st.integers(0, 40)),
)


@PROPERTY
@given(token=tokens)
def test_any_token_is_a_scene_or_a_4xx_and_never_inflates_past_the_limit(token, monkeypatch_module):
    CountingZlib.produced = 0
    try:
        data = decode(token)
    except TokenError:
        data = None
    assert CountingZlib.produced <= MAX_SCENE_BYTES + 1
    segment = quote(token, safe="")
    # a path segment of its own (a '/' ends the segment, even as %2F), a URL httpx agrees to send
    if token not in ("", ".", "..") and "/" not in token and len(segment) < 60_000:
        answer = client.get("/api/permalinks/" + segment)
        assert answer.status_code in ((400, 413) if data is None else (200, 422))
    if data is None:  # (a valid scene would be computed: not this test's business)
        assert client.get("/api/runs/stream", params={"s": token}).status_code in (400, 413, 422)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(permalink, "zlib", CountingZlib)
        yield


json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
                           max_leaves=30)


@PROPERTY
@given(st.one_of(json_values, scenes().flatmap(lambda s: st.just(s) | st.builds(lambda v, k: {**s, k: v}, json_values,
                                                                                  st.sampled_from(list(s))))))
def test_any_json_body_is_computed_or_refused_with_a_4xx(body):
    answer = client.post("/api/permalinks", json=body)  # validates exactly as /api/runs, without computing
    assert answer.status_code in (200, 422)
    if answer.status_code == 422:
        for error in answer.json()["detail"]:
            assert error["loc"][0] == "body" and error["msg"]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_a_non_finite_number_is_named_in_a_422(literal):
    body = b'{"landscape": {"id": "peaks"}, "steps": 100, "runs": [{"clip_norm": ' + literal + b"}]}"
    answer = client.post("/api/runs", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert ["body", "runs", 0, "clip_norm"] in [error["loc"] for error in answer.json()["detail"]]
