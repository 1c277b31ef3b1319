"""What every desk page needs: the logged-in identity, CSRF and origin checks on every POST, and
a login rate limit that keeps no IP address (a salted hash, in memory, for a minute)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from accounts.sessions import Identity, csrf_matches, identify
from runtime.services import services
from web.forms import AttemptLimiter, without_nul
from web.pages import pages

SESSION_COOKIE = "hb_session"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DeskView = Callable[[Request, Identity], Awaitable[Response]]


class Forbidden(Exception):
    """The logged-in user may not do this."""


@dataclass
class LoginGuard:
    """Slows password guessers without letting anyone keep an editor out.

    Two limits, both in memory under salted hashes (no address is stored or logged):
    - per client, at most `clients.limit` (10) attempts a minute, whatever the account;
    - per account *and client*, after `free_failures` failures each further attempt waits twice
      as long as the one before (5 s, 10 s, … up to `max_wait`): the guesser slows down, while
      the editor, from any other client, logs in at once with the right password.
    Clients are told apart by the address uvicorn reports: `X-Forwarded-For` counts only from
    `HAMBASTEGI_TRUSTED_PROXIES` (docs/security.md)."""

    free_failures: int = 3
    max_wait: float = 900.0
    clients: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(limit=10))
    failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def wait(self, client: str, account: str) -> float:
        """Seconds before this client may try this account again (0: go ahead), counting the
        attempt when it may go ahead."""
        count, last = self.failures.get(self.clients.key(account, client), (0, 0.0))
        if count > self.free_failures:
            pause = min(5.0 * 2.0 ** (count - self.free_failures - 1), self.max_wait)
            left = pause - (time.monotonic() - last)
            if left > 0:
                return left
        if not self.clients.allow(client):
            return max(self.clients.wait(client), 1.0)
        return 0.0

    def failed(self, client: str, account: str) -> None:
        key = self.clients.key(account, client)
        if len(self.failures) > 10_000:
            self.failures.clear()
        count, _last = self.failures.get(key, (0, 0.0))
        self.failures[key] = (count + 1, time.monotonic())

    def succeeded(self, client: str, account: str) -> None:
        self.failures.pop(self.clients.key(account, client), None)


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
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/desk/login?next={quote(here, safe='/')}", status_code=303)
        if request.method != "POST":
            return await _run(view, request, identity)
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD_BYTES:
            return message(request, identity, "Too large", "The form is larger than 20 MB.", 413)
        async with request.form(max_part_size=MAX_UPLOAD_BYTES) as raw:  # closes uploaded files
            form = without_nul(raw)
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
