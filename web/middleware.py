"""Pure-ASGI middleware: security headers on every response."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.responses import SECURITY_HEADERS


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class OnionLocation:
    """Tor Browser offers the onion service for pages that name one (`Onion-Location`)."""

    def __init__(self, app: ASGIApp, onion: str) -> None:
        self.app = app
        self.onion = onion

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.onion:
            await self.app(scope, receive, send)
            return
        location = f"http://{self.onion}{quote(scope.get('path', '/'), safe='/')}"

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Onion-Location", location)
            await send(message)

        await self.app(scope, receive, send_with_header)


class RefuseNul:
    """A NUL character (`%00`) in an address means nothing to us, and PostgreSQL cannot compare
    text holding one: such a request gets 400 at once, never a 500 from a query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            body = b'{"error": "NUL characters are not allowed in addresses"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


class LanguagePrefix:
    """`/fa/…` (any interface language): the page at `/…`, in that language, so that a link
    can open in Persian for anyone. The prefix becomes the reader's `lang` cookie, for this
    request (the page cache keys on it, and the pages read it) and for the pages they go on
    to read."""

    def __init__(self, app: ASGIApp, languages: tuple[str, ...]) -> None:
        self.app = app
        self.languages = frozenset(languages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first, _slash, rest = scope["path"].lstrip("/").partition("/")
        if first not in self.languages:
            await self.app(scope, receive, send)
            return
        language = first
        headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
        cookies = [
            part.strip()
            for k, v in scope["headers"]
            if k == b"cookie"
            for part in v.decode("latin-1").split(";")
            if part.strip() and not part.strip().startswith("lang=")
        ]
        cookies.append(f"lang={language}")
        headers.append((b"cookie", "; ".join(cookies).encode("latin-1")))
        path = "/" + rest
        inner = {**scope, "path": path, "raw_path": path.encode(), "headers": headers}
        secure = "; Secure" if scope.get("scheme") == "https" else ""

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers.append(
                    "Set-Cookie",
                    f"lang={language}; Max-Age=31536000; Path=/; SameSite=Lax{secure}",
                )
            await send(message)

        await self.app(inner, receive, send_with_cookie)
