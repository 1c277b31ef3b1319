"""Forms that do not put words in the editor's mouth: a strike's country is chosen, never
defaulted; a translation's language is not the original's; event times show no seconds."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.site_support import Site, log_in, site


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def test_the_strike_form_starts_with_no_country_and_requires_one(s: Site) -> None:
    await log_in(s, "editor")

    page = (await s.http.get("/desk/compose?kind=strike")).text

    select = re.search(r'<select id="d-country"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None
    assert "required" in page.split('id="d-country"', 1)[1].split(">", 1)[0]
    first = re.search(r"<option[^>]*>", select.group(1))
    assert first is not None
    assert 'value=""' in first.group(0)
    assert "selected" in first.group(0)


async def test_the_translate_form_does_not_prefill_the_originals_language(s: Site) -> None:
    await log_in(s, "editor")

    page = (await s.http.get(f"/desk/compose?translation_of={s.posts['strike'].public_id}")).text

    field = re.search(r'<input id="p-language"[^>]*>', page)
    assert field is not None
    assert 'value=""' in field.group(0)


async def test_event_times_show_hours_and_minutes_not_seconds(s: Site) -> None:
    page = (await s.http.get("/events", headers={"Accept-Language": "en"})).text

    times = re.findall(r"<time[^>]*data-local[^>]*>([^<]+)</time>", page)
    assert times
    for shown in times:
        assert not re.search(r"\d{1,2}:\d{2}:\d{2}", shown), shown
        assert re.search(r"\d{1,2}:\d{2}", shown), shown
