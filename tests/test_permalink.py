"""Permalink tokens: round trips, and bounded refusal of everything that is not a scene."""
import base64
import zlib

import pytest

from app.contract.permalink import TokenError, decode, encode, token_of
from app.vocabulary.limits import MAX_SCENE_BYTES, MAX_TOKEN_LENGTH
from app.contract.scene import normalise

SCENE = normalise({"landscape": {"id": "peaks"}, "steps": 500,
                   "runs": [{"optimizer": {"id": "momentum"}, "schedule": {"id": "cosine", "params": {"lr": 0.01}},
                             "start": [0, 1.5]}] * 6})


def test_round_trip_is_exact_and_compact():
    token = encode(SCENE)
    assert normalise(decode(token)) == normalise(SCENE)
    assert len(token) < 1000


def test_a_token_written_by_any_raw_deflate_reads_back():
    """The browser's CompressionStream('deflate-raw') writes a raw DEFLATE stream at its own level."""
    raw = zlib.compressobj(level=1, wbits=-15)
    data = raw.compress(b'{"landscape":{"id":"booth"},"runs":[{}]}') + raw.flush()
    token = base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert decode(token) == {"landscape": {"id": "booth"}, "runs": [{}]}


@pytest.mark.parametrize("token,words", [
    ("", "base64url"),
    ("abc$def", "base64url"),
    ("a", "base64url"),
    ("AAAA", "DEFLATE"),
    (base64.urlsafe_b64encode(base64.urlsafe_b64decode(encode({"landscape": {"id": "peaks"}, "runs": [{}] * 9})
                              + "==")[:12]).decode().rstrip("="), "truncated"),
    ("x" * (MAX_TOKEN_LENGTH + 1), "limit"),
])
def test_bad_tokens_are_refused_with_a_reason(token, words):
    with pytest.raises(TokenError, match=words):
        decode(token)


def test_a_deflate_bomb_is_refused_without_inflating_it():
    bomb = zlib.compressobj(level=9, wbits=-15)
    data = bomb.compress(b"[" + b"0," * 5_000_000 + b"0]") + bomb.flush()
    token = base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert len(token) < MAX_TOKEN_LENGTH
    with pytest.raises(TokenError, match=str(MAX_SCENE_BYTES)):
        decode(token)


def test_token_of_reads_urls_and_bare_tokens():
    assert token_of("http://127.0.0.1:8000/?s=abc_-9&x=1") == "abc_-9"
    assert token_of("  abc  ") == "abc"


def test_the_first_version_token_stays_readable_forever():
    """Kept literally: if this fails, a link someone shared has broken."""
    literal = ("ZY3NCgIhFIXf5axtUKKNrxKzuOilBEdFnaDEd58LQQXtDufvG3hwbSEnWKMQKfnmqDDsQPCwaOR9ZAOFQpW2JsGcCq1zEX3RWqHu"
               "SeR1IJcetvDi-lk_8y38Td2d_R6_CJdT65T6bxFRTvSizRtGtQvhdF60EnOd6zwA")
    assert normalise(decode(literal))["runs"][0]["optimizer"]["id"] == "yogi"
