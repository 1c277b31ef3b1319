"""Form safety: a CSRF token on every form (the desk session's, or a double-submit cookie for
anonymous forms), and redirects that can only stay on this site."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "hb_csrf"


def anonymous_csrf(request: Request) -> str:
    """The token for an anonymous form; `remember_csrf` puts it in the cookie."""
    existing = request.cookies.get(CSRF_COOKIE)
    return existing if existing and len(existing) == 43 else secrets.token_urlsafe(32)


def remember_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def anonymous_csrf_ok(request: Request, submitted: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    return (
        isinstance(submitted, str)
        and bool(cookie)
        and hmac.compare_digest(str(cookie).encode(), submitted.encode())
    )


def local_path(target: str | None, default: str = "/") -> str:
    """Only paths on this site: no scheme, no host, no `//`, no backslash tricks."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or "\\" in target
    ):
        return default
    if any(ord(c) < 32 for c in target):
        return default
    return target


@dataclass
class AttemptLimiter:
    """At most `limit` attempts a minute per client (public forms: joining the network). Clients
    are told apart by a hash of their address salted with a secret that changes on every
    restart: nothing is stored or logged."""

    limit: int = 10
    window: float = 60.0
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    attempts: dict[str, list[float]] = field(default_factory=dict)

    def key(self, *parts: str) -> str:
        return hashlib.sha256(self.salt + "\x00".join(parts).encode()).hexdigest()[:16]

    def wait(self, client: str) -> float:
        """Seconds this client must wait before its next attempt (0: it may go ahead)."""
        now = time.monotonic()
        recent = [t for t in self.attempts.get(self.key(client), []) if now - t < self.window]
        if len(recent) < self.limit:
            return 0.0
        return max(0.0, self.window - (now - recent[0]))

    def allow(self, client: str) -> bool:
        """Count an attempt if the client may make one now."""
        if self.wait(client) > 0:
            return False
        key, now = self.key(client), time.monotonic()
        if len(self.attempts) > 10_000:
            self.attempts.clear()
        recent = [t for t in self.attempts.get(key, []) if now - t < self.window]
        self.attempts[key] = [*recent, now]
        return True


def without_nul(form: FormData) -> FormData:
    """The form with NUL characters taken out of its text fields: no field of ours means one,
    and PostgreSQL cannot store it (a form must never turn into a 500)."""
    return FormData(
        [(key, value.replace("\x00", "") if isinstance(value, str) else value)
         for key, value in form.multi_items()]
    )  # fmt: skip
