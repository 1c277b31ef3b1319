"""One URL, two representations: ActivityStreams JSON for servers, HTML for people."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from federation.vocab import wants_activity_json

Endpoint = Callable[[Request], Awaitable[Response]]


def negotiate(json_endpoint: Endpoint, html_endpoint: Endpoint) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if wants_activity_json(request.headers.get("accept")):
            response = await json_endpoint(request)
        else:
            response = await html_endpoint(request)
        response.headers["Vary"] = "Accept"
        return response

    return endpoint
