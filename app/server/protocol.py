"""The HTTP layer's refusals in our JSON: uvicorn's h11 protocol, with the request head bounded by MAX_HEAD_BYTES.

h11 buffers a request's line and headers up to a limit (16 KB by default) and uvicorn answers anything it cannot
parse, an over-long head included, with a plain-text 400. `JSONErrorsH11Protocol` keeps h11 and answers as every
other error of the API does, `{"detail": "..."}`: 414 when the request line is over MAX_URL_BYTES (or not even
finished within MAX_HEAD_BYTES), 431 when the headers are, 400 for a head that is not HTTP. `optiscape serve`
runs it with h11's buffer at MAX_HEAD_BYTES; `middleware.HeadLimit` gives the same answers to a head that arrived
whole in one read (which h11 does not measure), so the answer never depends on how the bytes were split.

Example:
    >>> status, body = head_refusal(b"GET /?s=" + b"A" * 140_000)
    >>> status, body["detail"][:37]
    (414, 'URL over 65536 bytes (path and query)')
"""
from __future__ import annotations

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..vocabulary.limits import MAX_HEAD_BYTES, MAX_URL_BYTES

URL_TOO_LONG = (414, f"URL over {MAX_URL_BYTES} bytes (path and query); a scene that long is better sent as a "
                "POST body")
HEAD_TOO_LONG = (431, f"request line and headers over {MAX_HEAD_BYTES} bytes")
NOT_HTTP = (400, "invalid HTTP request")


def head_refusal(buffered: bytes) -> tuple[int, dict]:
    """The status and JSON body refusing a request head h11 could not parse (`buffered`: what it holds of it)."""
    line_end = buffered.find(b"\r\n")
    if line_end == -1 and len(buffered) >= MAX_HEAD_BYTES or line_end > MAX_URL_BYTES:
        status, text = URL_TOO_LONG
    elif len(buffered) >= MAX_HEAD_BYTES:
        status, text = HEAD_TOO_LONG
    else:
        status, text = NOT_HTTP
    return status, {"detail": text}


class JSONErrorsH11Protocol(H11Protocol):
    """uvicorn's h11 protocol whose refusals of a request head are JSON, with the API's error shape."""

    def send_400_response(self, msg: str) -> None:
        status, body = head_refusal(self.conn.trailing_data[0])
        content = orjson.dumps(body)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
                   (b"connection", b"close")]
        self.transport.write(self.conn.send(h11.Response(status_code=status, headers=headers)))
        self.transport.write(self.conn.send(h11.Data(data=content)))
