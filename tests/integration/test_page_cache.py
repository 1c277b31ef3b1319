"""The cache of anonymous pages: the same answer is reused (with an ETag, and 304 for a reader
who has it), never for a signed-in editor, a signed fetch or another language, and what an
editor publishes shows at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.posts import create_post
from tests.integration.site_support import Site, log_in, site


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path, page_cache_seconds=60.0) as sc:
        yield sc


async def test_an_anonymous_page_is_reused_until_an_editor_changes_something(s: Site) -> None:
    first = await s.http.get("/bulletins")
    await create_post(  # written behind the site's back (another process, the CLI)
        s.instance.svc,
        s.teachers,
        Draft(kind=PostKind.article, language="en", title="Fresh news", body="Body"),
    )
    cached = await s.http.get("/bulletins")
    await log_in(s, "editor")  # a desk POST that succeeds: what pages show may have changed
    after_desk_post = await s.http.get("/bulletins")

    assert first.headers["etag"] == cached.headers["etag"]
    assert "Fresh news" not in cached.text
    assert "Fresh news" in after_desk_post.text


async def test_a_reader_with_the_current_page_gets_304(s: Site) -> None:
    first = await s.http.get("/campaigns")

    again = await s.http.get("/campaigns", headers={"If-None-Match": first.headers["etag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


async def test_languages_and_representations_are_kept_apart(s: Site) -> None:
    english = await s.http.get("/", headers={"Accept-Language": "en"})
    persian = await s.http.get("/", headers={"Accept-Language": "fa"})
    page = await s.http.get("/actors/oil_workers", headers={"Accept": "text/html"})
    document = await s.http.get(
        "/actors/oil_workers", headers={"Accept": "application/activity+json"}
    )

    assert english.headers["etag"] != persian.headers["etag"]
    assert 'lang="fa"' in persian.text
    assert page.headers["content-type"].startswith("text/html")
    assert document.headers["content-type"].startswith("application/activity+json")


async def test_an_editors_pages_and_forms_are_never_cached(s: Site) -> None:
    await log_in(s, "editor")

    desk = await s.http.get("/desk")
    compose = await s.http.get("/desk/compose")
    join = await s.http.get("/join")

    assert "etag" not in desk.headers
    assert "etag" not in compose.headers
    assert "etag" not in join.headers  # it sets the form's own cookie


async def test_a_signed_fetch_is_answered_afresh(s: Site) -> None:
    signed = {"Accept": "application/activity+json", "Signature": 'keyId="x",signature="y"'}

    first = await s.http.get("/actors/oil_workers/outbox", headers=signed)
    second = await s.http.get("/actors/oil_workers/outbox", headers=signed)

    assert "etag" not in first.headers
    assert "etag" not in second.headers
