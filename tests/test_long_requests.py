"""A request head too long for the HTTP layer gets the API's JSON error, however its bytes arrive.

A real `optiscape serve` (uvicorn + h11) on a free port, spoken to over a raw socket: the head sent whole (the app
sees it: `middleware.HeadLimit`) and in 1 kB pieces (h11 refuses it before the app: `protocol`), the same answer.
"""
from __future__ import annotations

import json
import socket
import time

import pytest

from app.vocabulary.limits import MAX_HEAD_BYTES, MAX_TOKEN_LENGTH, MAX_URL_BYTES
from server import serving


@pytest.fixture(scope="module")
def url():
    with serving("--no-warm-up") as base:
        yield base


def exchange(base: str, head: bytes, piece: int | None) -> tuple[int, dict, bytes]:
    """Send a request head (whole, or in pieces of `piece` bytes); the status, headers and body of the answer."""
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        try:
            if piece is None:
                s.sendall(head)
            else:
                for i in range(0, len(head), piece):
                    s.sendall(head[i:i + piece])
                    time.sleep(0.0005)  # separate reads, so h11 sees the head grow
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the end of what we sent: the answer is there to read
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    top, body = data.split(b"\r\n\r\n", 1)
    lines = top.decode().split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


def get(target: bytes, extra: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n" + extra + b"\r\n"


@pytest.mark.parametrize("piece", [None, 1024], ids=["whole", "in pieces"])
@pytest.mark.parametrize("head, status, says", [
    (get(b"/api/runs/stream?s=" + b"A" * (MAX_URL_BYTES + 10)), 414, f"URL over {MAX_URL_BYTES} bytes"),
    (get(b"/api/runs/stream?s=" + b"A" * (4 * MAX_HEAD_BYTES)), 414, f"URL over {MAX_URL_BYTES} bytes"),
    (get(b"/api/health", b"X-Long: " + b"a" * MAX_HEAD_BYTES + b"\r\n"), 431, f"over {MAX_HEAD_BYTES} bytes"),
], ids=["URL over the limit", "URL over the HTTP layer's buffer", "headers over the limit"])
def test_a_head_too_long_gets_a_json_error(url, piece, head, status, says):
    got, headers, body = exchange(url, head, piece)
    assert (got, headers["content-type"]) == (status, "application/json")
    assert says in json.loads(body)["detail"]


def test_a_token_over_its_limit_still_says_so(url):
    """Below the URL limit the route answers: a token over MAX_TOKEN_LENGTH is a 413 naming that limit."""
    got, _, body = exchange(url, get(b"/api/runs/stream?s=" + b"A" * (MAX_TOKEN_LENGTH + 1)), 1024)
    assert got == 413 and str(MAX_TOKEN_LENGTH) in json.loads(body)["detail"]


def test_a_request_that_is_not_http_gets_a_json_400(url):
    got, headers, body = exchange(url, b"GET / HTTP/1.1\r\nHost localhost\r\n\r\n", None)
    assert (got, headers["content-type"], json.loads(body)) == (400, "application/json",
                                                                {"detail": "invalid HTTP request"})


def test_a_long_head_within_the_limits_is_answered(url):
    got, _, body = exchange(url, get(b"/api/health", b"X-Long: " + b"a" * (MAX_HEAD_BYTES // 2) + b"\r\n"), 1024)
    assert got == 200 and json.loads(body)["ok"] is True
