"""A link that opens in the reader's language: `/fa/…` is the page `/…` in Persian (and the
reader stays in Persian as they go on); every page names its other languages (`hreflang`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
