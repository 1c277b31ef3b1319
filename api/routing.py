"""Every route of the client API, and CORS for browser clients (Elk, Phanpy): tokens, not
cookies, so any origin may call."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from api import accounts, interactions, oauth_routes, statuses, timelines

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key",
    "Access-Control-Expose-Headers": "Link, X-RateLimit-Limit, X-RateLimit-Remaining",
    "Access-Control-Max-Age": "86400",
}


class Preflight:
    """Answers browsers' CORS preflight (OPTIONS) for the API and the token endpoints, before
    routing: a route for it would turn every unknown method into 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] == "http" and scope["method"] == "OPTIONS" and path.startswith(PREFIXES):
            await Response(status_code=204, headers=CORS)(scope, receive, send)
            return
        await self.app(scope, receive, send)


PREFIXES = ("/api/", "/oauth/")


def api_routes() -> list[BaseRoute]:
    return [
        *oauth_routes.routes,
        *accounts.routes,
        *timelines.routes,
        *interactions.routes,
        *statuses.routes,
    ]
