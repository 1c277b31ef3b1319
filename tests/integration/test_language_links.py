"""A link that opens in the reader's language: `/fa/…` is the page `/…` in Persian (and the
reader stays in Persian as they go on); every page names its other languages (`hreflang`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.posts import create_post
from tests.integration.site_support import Site, site


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path, page_cache_seconds=10) as sc:  # the cache on, as in production
        yield sc


async def test_a_language_prefix_opens_the_page_in_that_language(s: Site) -> None:
    persian = await s.http.get("/fa/strikes", headers={"Accept-Language": "en"})
    next_page = await s.http.get("/members", headers={"Accept-Language": "en"})
    s.http.cookies.clear()  # someone else, who never followed such a link
    plain = await s.http.get("/strikes", headers={"Accept-Language": "en"})

    assert persian.status_code == 200
    assert '<html lang="fa" dir="rtl">' in persian.text
    assert "lang=fa" in persian.headers["set-cookie"]
    assert '<html lang="fa" dir="rtl">' in next_page.text  # it stays Persian from there
    assert '<html lang="en" dir="ltr">' in plain.text  # the page cache kept them apart


async def test_every_page_names_its_other_languages(s: Site) -> None:
    page = await s.http.get("/members")

    for code in ("en", "fa", "ar", "ckb", "kmr", "tr", "fr"):
        assert f'<link rel="alternate" hreflang="{code}" href="/{code}/members">' in page.text
    assert '<link rel="alternate" hreflang="x-default" href="/members">' in page.text


async def test_a_prefix_that_is_not_a_language_is_just_a_path(s: Site) -> None:
    assert (await s.http.get("/xx/strikes")).status_code == 404


async def test_a_reader_on_another_edition_is_told_that_theirs_exists(s: Site) -> None:
    persian = await create_post(
        s.instance.svc,
        s.union,
        Draft(kind=PostKind.article, language="fa", title="خبرنامهٔ آذر", body="متن فارسی"),
    )
    english = await create_post(
        s.instance.svc,
        s.union,
        Draft(
            kind=PostKind.article,
            language="en",
            title="December bulletin",
            body="English text",
            translation_of=persian.public_id,
        ),
    )

    persian_reader = await s.http.get(
        f"/objects/{english.public_id}", headers={"Accept-Language": "fa"}
    )
    s.http.cookies.clear()
    english_reader = await s.http.get(
        f"/objects/{english.public_id}", headers={"Accept-Language": "en"}
    )
    french_reader = await s.http.get(
        f"/objects/{english.public_id}", headers={"Accept-Language": "fr"}
    )

    notice = persian_reader.text.split('<p class="translation-notice"', 1)
    assert len(notice) == 2, "the notice is there"
    assert notice[0].count("<article") == 0  # at the top, before the post
    assert 'lang="fa" dir="rtl"' in notice[1].split(">", 1)[0]  # in the reader's language
    assert f'href="{persian.uri}" hreflang="fa"' in notice[1].split("</p>", 1)[0]
    assert "translation-notice" not in english_reader.text  # already in their language
    assert "translation-notice" not in french_reader.text  # no French edition
