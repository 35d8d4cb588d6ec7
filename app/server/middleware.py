"""The server's middleware: the body limit (413) and the security headers with the Content-Security-Policy.

No answer may be framed (`X-Frame-Options: DENY`, `frame-ancestors 'none'`) except the embed page, which any
site may frame (`frame-ancestors *`, no X-Frame-Options); its policy is otherwise the same.

Example:
    >>> "script-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    True
    >>> [value for name, value in headers_for("/embed") if name == b"x-frame-options"]
    []
"""
from __future__ import annotations

from fastapi.responses import JSONResponse


class BodyLimit:
    """413 for a request body over the limit, whether or not it announces its length."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or {}).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send):
        response = JSONResponse({"detail": f"request body over {self.limit} bytes"}, status_code=413)
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


# The page runs only its own scripts; Plotly sets inline styles and renders images to data: and blob: URLs.
_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
           "base-uri 'none'; form-action 'self'; frame-ancestors ")
CONTENT_SECURITY_POLICY = _POLICY + "'none'"
EMBED_CONTENT_SECURITY_POLICY = _POLICY + "*"
FRAMEABLE = frozenset({"/embed"})  # the only paths another site may frame
_COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
SECURITY_HEADERS = [*_COMMON, (b"x-frame-options", b"DENY"), (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())]
EMBED_HEADERS = [*_COMMON, (b"content-security-policy", EMBED_CONTENT_SECURITY_POLICY.encode())]


def headers_for(path: str) -> list[tuple[bytes, bytes]]:
    """The security headers of an answer to `path`."""
    return EMBED_HEADERS if path in FRAMEABLE else SECURITY_HEADERS


class SecurityHeaders:
    """nosniff, no referrer, no framing (but for FRAMEABLE paths) and the Content-Security-Policy on every answer,
    the API docs included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        extra = headers_for(scope["path"])

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)
