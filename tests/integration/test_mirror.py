"""A mirror that survives blocking: `hambastegi mirror export DIR` writes the public site as
plain files; served by `python -m http.server` on loopback, every internal link on it
resolves (crawled here); a second export after one edit rewrites only what changed; the site
and its feeds announce the mirrors (HAMBASTEGI_MIRRORS), and an onion address is offered
with Onion-Location."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import pytest

from core.config import Settings, SettingsError
from hambastegi.app import create_app
from hambastegi.mirror import export
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.posts import edit_post
from tests.integration.site_support import Site, site

pytestmark = pytest.mark.db

LANGUAGES = ("fa", "en", "ar")
ONION = "a" * 56 + ".onion"


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path, mirrors=("https://mirror.example.org",), onion_address=ONION) as sc:
        yield sc


async def make_mirror(s: Site, target: Path) -> object:
    settings = s.instance.settings
    return await export(create_app(settings), settings, target, LANGUAGES)


async def crawl_static(root_url: str) -> tuple[set[str], list[str]]:
    """Every page and file reachable from the mirror's index; the links that did not resolve."""
    seen: set[str] = set()
    broken: list[str] = []
    queue = [f"{root_url}/index.html"]
    async with httpx.AsyncClient(timeout=10, follow_redirects=True) as client:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            response = await client.get(url)
            if response.status_code != 200:
                broken.append(url)
                continue
            if "text/html" not in response.headers.get("content-type", ""):
                continue
            for link in re.findall(r'(?:href|src)="([^"#]+)', response.text):
                absolute = urljoin(url, link)
                if absolute.startswith(root_url):
                    queue.append(absolute.split("?")[0])
                refresh = re.search(r'content="0; url=([^"]+)"', response.text)
                if refresh:
                    queue.append(urljoin(url, refresh.group(1)))
    return seen, broken


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def served(directory: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
        "--directory", str(directory),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    root = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                await client.get(f"{root}/manifest.json")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    return process, root


async def serve_and_crawl(directory: Path) -> tuple[set[str], list[str]]:
    """Serve the mirror with `python -m http.server` on loopback and crawl it from its index."""
    process, root = await served(directory)
    try:
        return await crawl_static(root)
    finally:
        process.terminate()
        await process.wait()


async def test_the_exported_mirror_serves_as_plain_files_and_every_link_resolves(
    s: Site, tmp_path: Path
) -> None:
    target = tmp_path / "mirror"
    await make_mirror(s, target)
    seen, broken = await serve_and_crawl(target)

    assert broken == []
    paths = {unquote(urlsplit(u).path) for u in seen}
    for language in LANGUAGES:
        assert f"/{language}/index.html" in paths
        assert f"/{language}/strikes/index.html" in paths
        assert f"/{language}/objects/{s.posts['strike'].public_id}/index.html" in paths
    assert any(p.endswith("/print.pdf") for p in paths)  # the bulletins' PDFs
    assert any(p.endswith(".atom") for p in paths)  # feeds
    assert any(p.endswith(".ics") for p in paths)  # calendars
    assert "/static/site.css" in paths
    page = (target / "fa" / "index.html").read_text()
    assert 'class="mirror-notice"' in page
    assert "رونوشتی از" in page  # the notice in the page's own language
    assert "A copy of" in (target / "en" / "index.html").read_text()
    assert f"{s.instance.base_url}/" in page  # where the original is
    pdf = next(target.glob("*/objects/*/print.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF-")
    manifest = json.loads((target / "manifest.json").read_text())
    name = "fa/index.html"
    assert manifest["files"][name] == hashlib.sha256((target / name).read_bytes()).hexdigest()


async def test_a_second_export_after_one_edit_rewrites_only_what_changed(
    s: Site, tmp_path: Path
) -> None:
    target = tmp_path / "mirror"
    first = await make_mirror(s, target)
    edited = s.posts["campaign"]
    untouched = target / "fa" / "objects" / s.posts["event"].public_id / "index.html"
    before = untouched.stat().st_mtime_ns

    await edit_post(
        s.instance.svc,
        edited.public_id,
        Draft(
            kind=PostKind(edited.kind),
            body="A new update on the campaign.",
            language=edited.language,
            title=edited.title,
            details=edited.details,
        ),
    )
    second = await make_mirror(s, target)

    assert second.written > 0  # type: ignore[attr-defined]
    assert second.written < len(first.files) / 5  # type: ignore[attr-defined]
    assert (
        "A new update on the campaign."
        in (target / "fa" / "objects" / edited.public_id / "index.html").read_text()
    )
    assert untouched.stat().st_mtime_ns == before
    third = await make_mirror(s, target)
    assert third.written == 0  # type: ignore[attr-defined]


async def test_the_site_and_feeds_announce_mirrors_and_the_onion_service(s: Site) -> None:
    home = await s.http.get("/", headers={"Accept-Language": "en"})
    page = await s.http.get("/mirrors", headers={"Accept-Language": "fa"})
    feed = await s.http.get("/feeds/actor/oil_workers.atom")

    assert '<link rel="alternate" href="https://mirror.example.org/"' in home.text
    assert home.headers["onion-location"] == f"http://{ONION}/"
    assert "https://mirror.example.org/" in page.text
    assert ONION in page.text
    assert 'href="https://mirror.example.org/"' in feed.text
    assert "onion-location" not in feed.headers  # pages only


def test_mirror_and_onion_settings_are_checked() -> None:
    with pytest.raises(SettingsError, match="MIRRORS"):
        Settings.from_values({"mirrors": "ftp://example.org"})
    with pytest.raises(SettingsError, match="ONION_ADDRESS"):
        Settings.from_values({"onion_address": "example.onion"})
    ok = Settings.from_values({"mirrors": "https://a.example, https://b.example/"})
    assert ok.mirrors == ("https://a.example", "https://b.example")


def test_mirror_paths_are_relative_files() -> None:
    from hambastegi.mirror import file_for, relative

    assert file_for("/", "", "fa") == "fa/index.html"
    assert file_for("/objects/abc", "", "fa") == "fa/objects/abc/index.html"
    assert file_for("/objects/abc/pdf", "", "fa") == "fa/objects/abc/print.pdf"
    assert file_for("/media/x.png", "", "fa") == "media/x.png"
    assert file_for("/strikes", "page=2", "en") == "en/strikes/index.page=2.html"
    assert relative("fa/objects/abc/index.html", "media/x.png") == "../../../media/x.png"
    assert PurePosixPath(relative("fa/index.html", "en/index.html")) == PurePosixPath(
        "../en/index.html"
    )
