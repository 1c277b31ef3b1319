"""`hambastegi mirror export DIR`: the public site as plain files with relative links, for any
static host, a second domain, an onion service or a USB stick, in every interface language.

The site is read through the app itself (in this process, no network): from each language's
home page every internal link is followed (pages, feeds, calendars, PDFs, media, the map),
except what needs the server (forms, the desk, the APIs). Each page says where its original
is. Export is incremental: `manifest.json` keeps each file's SHA-256, and a file whose bytes
did not change is not rewritten; files of pages that are gone are removed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html import escape
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from content.i18n import INTERFACE_LANGUAGES, Catalogs
from core.config import Settings
from core.paths import locales_dir

MANIFEST = "manifest.json"
NOTICE = "A copy of %(original)s (if it is blocked where you are, this copy is the same site)."
SKIPPED = (
    "/desk", "/api/", "/oauth", "/subscribe/", "/mail/", "/interact", "/join", "/language",
    "/search", "/inbox", "/actor", "/.well-known", "/nodeinfo", "/authorize_interaction",
    "/activities/", "/healthz", "/metrics",
)  # fmt: skip
SKIPPED_TAILS = (
    "/likes",
    "/shares",
    "/followers",
    "/following",
    "/outbox",
    "/featured",
    "/members.json",
)
SHARED = ("/media/", "/static/", "/map/")  # the same in every language: stored once
_LINK = re.compile(r'(?P<attr>\b(?:href|src))="(?P<url>[^"#]*)(?P<frag>#[^"]*)?"')
MAX_PAGES = 200_000


@dataclass
class Export:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256
    changed: list[str] = field(default_factory=list)  # the files written this time


@asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[ASGIApp]:
    """Start the app's lifespan and hand back an app whose requests carry its state (what a
    server such as uvicorn does), without a socket."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    started, stopped = asyncio.Event(), asyncio.Event()
    failure: list[str] = []

    async def receive() -> Message:
        return await inbox.get()

    async def send(message: Message) -> None:
        kind = message["type"]
        if kind.endswith(".failed"):
            failure.append(str(message.get("message", "")))
        if kind.startswith("lifespan.startup"):
            started.set()
        if kind.startswith("lifespan.shutdown"):
            stopped.set()

    async def lifespan() -> None:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}, receive, send)

    task = asyncio.create_task(lifespan())
    await inbox.put({"type": "lifespan.startup"})
    await started.wait()
    if failure:
        raise RuntimeError(f"the app did not start: {failure[0]}")

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, "state": dict(state)}, receive, send)

    try:
        yield with_state
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await stopped.wait()
        await task


def file_for(path: str, query: str, language: str) -> str:
    """Where a URL's bytes go, relative to the mirror's root: pages as `…/index.html`, files
    (a dot in the last segment: feeds, calendars, media, the map) as themselves, a post's PDF
    as `objects/ID/print.pdf`."""
    pure = PurePosixPath(path)
    if path.endswith("/pdf"):
        target, suffix = f"{path[: -len('/pdf')]}/print", ".pdf"
    elif "." in pure.name:
        target, suffix = str(pure.with_suffix("")), pure.suffix
    else:
        target, suffix = f"{path.rstrip('/')}/index", ".html"
    if query:
        target += "." + re.sub(r"[^A-Za-z0-9=_-]", "_", query)
    result = f"{target}{suffix}".lstrip("/")
    return result if path.startswith(SHARED) else f"{language}/{result}"


def _wanted(path: str) -> bool:
    return (
        path.startswith("/")
        and not path.startswith("//")
        and not path.startswith(SKIPPED)
        and not path.endswith(SKIPPED_TAILS)
    )


def relative(from_file: str, to_file: str) -> str:
    here = PurePosixPath(from_file).parent
    return os.path.relpath(to_file, start=str(here) if str(here) != "." else ".").replace(
        os.sep, "/"
    )


class Crawler:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        language: str,
        languages: Sequence[str] = INTERFACE_LANGUAGES,
    ) -> None:
        self.client = client
        self.settings = settings
        self.language = language
        self.languages = tuple(languages)
        self.queue: list[tuple[str, str]] = []
        self.seen: set[tuple[str, str]] = set()
        self.pages: dict[str, bytes] = {}
        self.catalogs = Catalogs(locales_dir())

    def _local(self, url: str, page_path: str) -> tuple[str, str, str] | None:
        """(path, query, language) of a link to our own site worth copying, else None. A
        `/fa/…` link is the page in the Persian tree."""
        base = self.settings.base_url
        if url.startswith(base + "/") or url == base:
            url = url[len(base) :] or "/"
        if url.startswith("?"):
            url = page_path + url
        parts = urlsplit(url)
        path, language = parts.path, self.language
        head = path.split("/", 2)
        if len(head) > 1 and head[1] in INTERFACE_LANGUAGES:
            if head[1] not in self.languages:
                return None  # a language not copied: the link goes to the original
            language = head[1]
            path = "/" + (head[2] if len(head) > 2 else "")
        if parts.scheme or parts.netloc or not _wanted(path):
            return None
        return path, parts.query, language

    def add(self, path: str, query: str) -> None:
        if (path, query) not in self.seen and len(self.seen) < MAX_PAGES:
            self.seen.add((path, query))
            self.queue.append((path, query))

    async def crawl(self, concurrency: int = 1) -> dict[str, bytes]:
        """Every page reachable from the home page, `concurrency` requests at a time (PDFs
        are laid out in worker processes meanwhile)."""
        self.add("/", "")
        busy = 0
        more = asyncio.Condition()

        def ready() -> bool:  # something to copy, or nothing left that could add any
            return bool(self.queue) or busy == 0

        async def fetcher() -> None:
            nonlocal busy
            while True:
                async with more:
                    await more.wait_for(ready)
                    if not self.queue:
                        more.notify_all()
                        return
                    path, query = self.queue.pop()
                    busy += 1
                try:
                    await self._copy(path, query)
                finally:
                    async with more:
                        busy -= 1
                        more.notify_all()

        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, concurrency)):
                group.create_task(fetcher())
        return self.pages

    async def _copy(self, path: str, query: str) -> None:
        response = await self.client.get(
            path + (f"?{query}" if query else ""),
            headers={"Accept-Language": self.language, "Accept": "text/html,*/*"},
        )
        if response.status_code != 200:
            return
        target = file_for(path, query, self.language)
        body = response.content
        if response.headers.get("content-type", "").startswith("text/html"):
            body = self._rewrite(response.text, path, target).encode()
        self.pages[target] = body

    def _rewrite(self, html: str, page_path: str, target: str) -> str:
        def swap(match: re.Match[str]) -> str:
            url = match.group("url")
            found = self._local(url, page_path)
            if found is None:
                if url.startswith("/") and not url.startswith("//"):  # needs the server
                    return f'{match.group("attr")}="{self.settings.base_url}{url}"'
                return match.group(0)
            path, query, language = found
            if language == self.language:
                self.add(path, query)
            link = relative(target, file_for(path, query, language))
            return f'{match.group("attr")}="{link}{match.group("frag") or ""}"'

        rewritten = _LINK.sub(swap, html)
        original = f"{self.settings.base_url}{page_path}"
        words = self.catalogs.get(self.language).gettext(NOTICE)
        link = f'<a href="{escape(original)}" dir="ltr">{escape(original)}</a>'
        notice = f'<p class="mirror-notice">{escape(words) % {"original": link}}</p>'
        return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + notice, rewritten, count=1)


async def export(
    app: ASGIApp, settings: Settings, target: Path, languages: Sequence[str] = INTERFACE_LANGUAGES
) -> Export:
    files: dict[str, bytes] = {}
    async with (
        running(app) as served,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=served), base_url=settings.base_url, timeout=120
        ) as client,
    ):
        for language in languages:
            crawler = Crawler(client, settings, language, languages)
            files.update(await crawler.crawl(concurrency=settings.pdf_processes + 1))
    files["index.html"] = _chooser(settings, languages).encode()
    return await asyncio.to_thread(write, target, files, settings.base_url)


def write(target: Path, files: dict[str, bytes], origin: str) -> Export:
    """Write what changed (by SHA-256 against the last manifest), remove what is gone."""
    target.mkdir(parents=True, exist_ok=True)
    manifest_path = target / MANIFEST
    previous: dict[str, str] = {}
    if manifest_path.is_file():
        try:
            previous = dict(json.loads(manifest_path.read_text())["files"])
        except (ValueError, KeyError, TypeError):
            previous = {}
    result = Export()
    for name, body in sorted(files.items()):
        digest = hashlib.sha256(body).hexdigest()
        result.files[name] = digest
        path = target / name
        if previous.get(name) == digest and path.is_file():
            result.unchanged += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".part")
        temporary.write_bytes(body)
        temporary.replace(path)
        result.written += 1
        result.changed.append(name)
    for name in set(previous) - set(files):
        gone = target / name
        if gone.is_file():
            gone.unlink()
            result.removed += 1
    manifest_path.write_text(
        json.dumps({"origin": origin, "files": result.files}, indent=1, sort_keys=True)
    )
    return result


def _chooser(settings: Settings, languages: Sequence[str]) -> str:
    links = "".join(
        f'<li><a href="{code}/index.html" lang="{code}">{code}</a></li>' for code in languages
    )
    default = settings.default_language if settings.default_language in languages else languages[0]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={default}/index.html">'
        f"<title>{settings.instance_name}</title></head><body>"
        f'<p>A copy of <a href="{settings.base_url}/">{settings.base_url}</a>.</p>'
        f"<ul>{links}</ul></body></html>\n"
    )
