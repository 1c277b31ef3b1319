"""Who is calling: the bearer token's holder, the organisation it speaks for, and whether it
has the scope an endpoint needs. Every request checks anew (a revoked token or a withdrawn
editor grant is refused at once)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from accounts.oauth import TokenHolder, authenticate, touch
from actors.models import Actor
from api.errors import ApiError, error_response
from runtime.services import services


@dataclass(frozen=True)
class Caller:
    holder: TokenHolder | None
    actor: Actor | None  # the organisation the token speaks for

    def needs(self, scope: str) -> Actor:
        """The organisation, for an endpoint that acts as it with `scope`."""
        if self.holder is None:
            raise ApiError(401, "The access token is invalid")
        if not self.holder.allows(scope):
            raise ApiError(403, "This action is outside the authorized scopes")
        if self.actor is None:
            raise ApiError(422, "This method requires an authenticated user")
        return self.actor

    def may_read(self, scope: str) -> None:
        if self.holder is not None and not self.holder.allows(scope):
            raise ApiError(403, "This action is outside the authorized scopes")


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def identify_caller(request: Request) -> Caller:
    token = bearer(request)
    if token is None:
        return Caller(None, None)
    svc = services(request)
    async with svc.db.reader() as session:
        holder = await authenticate(session, svc.clock, token)
        actor = await session.get(Actor, holder.actor_id) if holder and holder.actor_id else None
    if holder is None or (holder.actor_id is not None and (actor is None or actor.deleted_at)):
        raise ApiError(401, "The access token is invalid")
    async with svc.db.transaction() as session:
        await touch(session, holder.token_id, svc.clock.now())
    return Caller(holder, actor)


Endpoint = Callable[[Request, Caller], Awaitable[Response]]

RATE_LIMIT = 300  # requests per token (or per app-less caller) and window, as Mastodon
RATE_WINDOW = 300.0  # seconds


@dataclass
class RateLimits:
    """Requests per token in the current five-minute window (this process's count)."""

    windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def spend(self, key: str, now: float) -> tuple[int, float]:
        """Count one request; return (remaining, when the window resets)."""
        start, used = self.windows.get(key, (now, 0))
        if now - start >= RATE_WINDOW:
            start, used = now, 0
        used += 1
        if len(self.windows) > 100_000:
            self.windows.clear()
        self.windows[key] = (start, used)
        return RATE_LIMIT - used, start + RATE_WINDOW


def api_view(view: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    """Identify the caller, run the view, and answer every ApiError as Mastodon does."""

    async def endpoint(request: Request) -> Response:
        limits: dict[str, str] = {}
        try:
            caller = await identify_caller(request)
            if caller.holder is not None:
                remaining, reset = (
                    services(request)
                    .component(RateLimits)
                    .spend(f"token:{caller.holder.token_id}", time.time())
                )
                limits = {
                    "X-RateLimit-Limit": str(RATE_LIMIT),
                    "X-RateLimit-Remaining": str(max(remaining, 0)),
                    "X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).isoformat(),
                }
                if remaining < 0:
                    raise ApiError(429, "Too many requests")
            response = await view(request, caller)
        except ApiError as exc:
            response = error_response(exc)
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        finally:
            form = getattr(request.state, "api_form", None)
            if form is not None:
                await form.close()
        response.headers.update(limits)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "Link"
        return response

    return endpoint


def json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers)
