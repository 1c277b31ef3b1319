"""What every desk page needs: the logged-in identity, CSRF and origin checks on every POST, and
a login rate limit that keeps no IP address (a salted hash, in memory, for a minute)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accounts.sessions import Identity, csrf_matches, identify
from runtime.services import services
from web.pages import pages

SESSION_COOKIE = "hb_session"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DeskView = Callable[[Request, Identity], Awaitable[Response]]


class Forbidden(Exception):
    """The logged-in user may not do this."""


@dataclass
class AttemptLimiter:
    """At most `limit` attempts a minute per client. Clients are told apart by a hash of their
    address salted with a secret that changes on every restart: nothing is stored or logged."""

    limit: int = 10
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    attempts: dict[str, list[float]] = field(default_factory=dict)

    def allow(self, client: str) -> bool:
        key = hashlib.sha256(self.salt + client.encode()).hexdigest()[:16]
        now = time.monotonic()
        recent = [t for t in self.attempts.get(key, []) if now - t < 60]
        if len(self.attempts) > 10_000:
            self.attempts.clear()
        if len(recent) >= self.limit:
            self.attempts[key] = recent
            return False
        recent.append(now)
        self.attempts[key] = recent
        return True


async def current_identity(request: Request) -> Identity | None:
    svc = services(request)
    async with svc.db.reader() as session:
        return await identify(session, svc.clock, request.cookies.get(SESSION_COOKIE))


def same_origin(request: Request) -> bool:
    """A browser's Origin (or Referer) must be this site on POSTs: a second line behind CSRF."""
    base = services(request).settings.base_url
    origin = request.headers.get("origin") or request.headers.get("referer")
    return origin is None or origin == base or origin.startswith(base + "/")


def desk_view(view: DeskView) -> Callable[[Request], Awaitable[Response]]:
    """Log-in required; POSTs need a valid CSRF token from the same origin."""

    async def endpoint(request: Request) -> Response:
        identity = await current_identity(request)
        if identity is None:
            return RedirectResponse(f"/desk/login?next={request.url.path}", status_code=303)
        if request.method != "POST":
            return await _run(view, request, identity)
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES:
            return message(request, identity, "Too large", "The form is larger than 20 MB.", 413)
        async with request.form(max_part_size=MAX_UPLOAD_BYTES) as form:  # closes uploaded files
            request.state.form = form
            if not same_origin(request) or not csrf_matches(identity, _text(form, "csrf")):
                return message(
                    request,
                    identity,
                    "Expired form",
                    "This form expired. Go back, reload and try again.",
                    403,
                )
            return await _run(view, request, identity)

    return endpoint


async def _run(view: DeskView, request: Request, identity: Identity) -> Response:
    try:
        return await view(request, identity)
    except Forbidden as exc:
        return message(request, identity, "Not allowed", str(exc) or "You may not do this.", 403)


def form_of(request: Request) -> FormData:
    found: FormData = request.state.form
    return found


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def field_text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def render(
    request: Request,
    identity: Identity,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    return pages(request).render(
        request,
        template,
        {"me": identity, "csrf": identity.csrf_token, **context},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


def message(
    request: Request, identity: Identity | None, title: str, text: str, status: int
) -> Response:
    _ = pages(request).gettext(request)
    return pages(request).render(
        request, "error.html", {"title": _(title), "message": _(text)}, status_code=status
    )


def done(location: str) -> Response:
    return RedirectResponse(location, status_code=303)
