"""Form safety: a CSRF token on every form (the desk session's, or a double-submit cookie for
anonymous forms), and redirects that can only stay on this site."""

from __future__ import annotations

import hmac
import secrets

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
        isinstance(submitted, str) and bool(cookie) and hmac.compare_digest(str(cookie), submitted)
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
