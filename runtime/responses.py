"""Responses shared by every route: ActivityStreams JSON, and errors with a clear message."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from federation.vocab import ACTIVITY_JSON, JRD_JSON

# No third-party requests from our pages: readers' privacy.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
# On every response (`web.middleware.SecurityHeaders`; the inboxes, answered before the site's
# middleware, add them themselves), unless the response set its own.
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


class ActivityJSONResponse(Response):
    media_type = f"{ACTIVITY_JSON}; charset=utf-8"

    def __init__(self, content: Any, status_code: int = 200, headers: dict[str, str] | None = None):
        merged = {"Vary": "Accept", "Access-Control-Allow-Origin": "*", **(headers or {})}
        super().__init__(content, status_code=status_code, headers=merged)

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class JRDResponse(Response):
    media_type = JRD_JSON

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(
            content, status_code=status_code, headers={"Access-Control-Allow-Origin": "*"}
        )

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error body `{"error": message}` with the given status."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)
