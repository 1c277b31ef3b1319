"""A cache of what anonymous readers get (pages, feeds, public JSON), with ETag validators.

Pure ASGI, outermost: a cached answer costs a dictionary look-up, not a render. Only what is
the same for every anonymous reader is kept: GET requests without a session, signature or
authorization; answers 200 without `Set-Cookie` and not marked `no-store` or `private`; never
the desk, the join form, the inbox or the operators' endpoints. The key holds everything the
answer depends on: path and query, the Accept header's choice (page or JSON), the reader's
languages (Accept-Language and the language cookie), and gzip or not.

Each entry lives `HAMBASTEGI_PAGE_CACHE_SECONDS` (10 s by default; 0 turns the cache off), and a
successful desk POST handled by this process empties the cache: what an editor publishes shows
at once here, and within those seconds in other processes (as does what other servers send).
A request whose `If-None-Match` names the current ETag gets 304 and no body.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation.vocab import wants_activity_json

NEVER_CACHED = (
    "/desk", "/join", "/inbox", "/actor/inbox", "/healthz", "/metrics", "/language",
    "/media/", "/static/", "/api/", "/oauth/", "/.well-known/oauth",
    "/subscribe/", "/mail/",
)  # fmt: skip
PERSONAL_HEADERS = ("authorization", "signature", "signature-input")
MAX_ENTRIES = 2000
MAX_BODY = 2 * 1024 * 1024


@dataclass
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    stored_at: float


@dataclass
class PageCache:
    app: ASGIApp
    seconds: float = 10.0
    entries: OrderedDict[tuple[str, ...], Entry] = field(default_factory=OrderedDict)
    hits: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "GET":
            if scope["method"] == "POST" and scope["path"].startswith("/desk"):
                await self._passing(scope, receive, send)  # an editor changed something
            else:
                await self.app(scope, receive, send)
            return
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        found = self.entries.get(key)
        if found is not None and time.monotonic() - found.stored_at < self.seconds:
            self.entries.move_to_end(key)
            self.hits += 1
            await self._answer(scope, send, found)
            return
        await self._store(scope, receive, send, key)

    def _key(self, scope: Scope) -> tuple[str, ...] | None:
        path: str = scope["path"]
        if path.startswith(NEVER_CACHED):
            return None
        headers = Headers(scope=scope)
        if any(name in headers for name in PERSONAL_HEADERS):
            return None
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except Exception:
            return None
        if "hb_session" in cookies:
            return None
        language = cookies["lang"].value if "lang" in cookies else ""
        return (
            path,
            scope.get("query_string", b"").decode("latin-1"),
            "json" if wants_activity_json(headers.get("accept")) else "html",
            headers.get("accept-language", "")[:200],
            language[:20],
            "gzip" if "gzip" in headers.get("accept-encoding", "") else "",
        )

    async def _answer(self, scope: Scope, send: Send, entry: Entry) -> None:
        wanted = Headers(scope=scope).get("if-none-match", "")
        if entry.etag in (tag.strip() for tag in wanted.split(",")):
            kept = [(k, v) for k, v in entry.headers if k.lower() in (b"etag", b"vary")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {"type": "http.response.start", "status": entry.status, "headers": entry.headers}
        )
        await send({"type": "http.response.body", "body": entry.body})

    async def _store(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, ...]
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        streaming = False  # not kept: passed through as it comes

        async def capture(message: Message) -> None:
            nonlocal start, size, streaming
            if streaming:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                control = headers.get("cache-control", "").lower()
                if (
                    message["status"] != 200
                    or "set-cookie" in headers
                    or "no-store" in control
                    or "private" in control
                ):
                    streaming = True
                    await send(message)
                else:
                    start = message  # sent with the body, once it is whole and its ETag known
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body, more = message.get("body", b""), message.get("more_body", False)
            chunks.append(body)
            size += len(body)
            if size > MAX_BODY:  # too big to keep: send what we have and stream the rest
                streaming = True
                await send(start)
                await send(
                    {"type": "http.response.body", "body": b"".join(chunks), "more_body": more}
                )
                return
            if more:
                return
            whole = b"".join(chunks)
            etag = '"' + hashlib.blake2b(whole, digest_size=12).hexdigest() + '"'
            raw = [*start.get("headers", []), (b"etag", etag.encode())]
            entry = Entry(start["status"], raw, whole, etag, time.monotonic())
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)
            await self._answer(scope, send, entry)

        await self.app(scope, receive, capture)

    async def _passing(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An editor's action that succeeds may change what pages show: start afresh."""

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self.entries.clear()
            await send(message)

        await self.app(scope, receive, watch)
