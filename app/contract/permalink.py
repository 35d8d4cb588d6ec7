"""Permalink tokens: base64url (no padding) of raw DEFLATE of the scene's compact JSON.

The browser writes them with `CompressionStream('deflate-raw')`, Python with zlib (wbits −15); both read both.
Decoding is bounded: a token longer than MAX_TOKEN_LENGTH, one that is not base64url, or one that inflates
beyond MAX_SCENE_BYTES (a deflate bomb) is refused with `TokenError` before any scene is parsed.

Example:
    >>> token = encode({"landscape": {"id": "booth"}, "runs": [{}]})
    >>> decode(token)
    {'landscape': {'id': 'booth'}, 'runs': [{}]}
"""
from __future__ import annotations

import base64
import binascii
import re
import zlib
from typing import Any

import orjson

from ..vocabulary.limits import MAX_SCENE_BYTES, MAX_TOKEN_LENGTH
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # the page's address under `optiscape serve`'s defaults


class TokenError(ValueError):
    """A token that cannot be a scene: says why."""


def encode(scene: Any) -> str:
    compressor = zlib.compressobj(level=9, wbits=-15)
    raw = compressor.compress(orjson.dumps(scene)) + compressor.flush()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str) -> Any:
    """The JSON value a token holds (not yet validated as a scene)."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(f"token is {len(token)} characters; the limit is {MAX_TOKEN_LENGTH}")
    if not token or not _BASE64URL.match(token) or len(token) % 4 == 1:
        raise TokenError("token is not base64url (letters, digits, '-' and '_', no padding)")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as e:
        raise TokenError(f"token is not base64url: {e}") from None
    inflater = zlib.decompressobj(wbits=-15)
    try:
        data = inflater.decompress(raw, MAX_SCENE_BYTES + 1)
    except zlib.error as e:
        raise TokenError(f"token is not raw DEFLATE data: {e}") from None
    if len(data) > MAX_SCENE_BYTES or inflater.unconsumed_tail:
        raise TokenError(f"token inflates beyond {MAX_SCENE_BYTES} bytes")
    if not inflater.eof:
        raise TokenError("token is truncated: the DEFLATE stream does not end")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise TokenError(f"token does not hold JSON: {e}") from None


def token_of(text: str) -> str:
    """The token in a permalink URL (`.../?s=TOKEN`) or the token itself."""
    match = re.search(r"[?&]s=([^&#]*)", text)
    return match.group(1) if match else text.strip()
