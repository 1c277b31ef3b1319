"""The desk's solidarity boosts page: for curators only; a bad address is refused inside the
desk with a reason, and nothing is boosted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from network.models import CurationItem
from tests.integration.site_support import Site, csrf, log_in, site

pytestmark = pytest.mark.db


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def test_only_curators_open_the_solidarity_page(s: Site) -> None:
    await log_in(s, "editor")
    assert (await s.http.get("/desk/solidarity")).status_code == 403
    s.http.cookies.clear()
    await log_in(s, "curator")
    page = await s.http.get("/desk/solidarity")
    assert page.status_code == 200
    assert "Solidarity boosts" in page.text


async def test_a_bad_address_is_refused_inside_the_desk(s: Site) -> None:
    await log_in(s, "curator")
    async with s.instance.svc.db.reader() as session:
        before = await session.scalar(select(func.count()).select_from(CurationItem))
    token = await csrf(s, "/desk/solidarity")

    for url, reason in (
        ("not a url", "address"),
        (f"{s.instance.base_url}/objects/{s.posts['strike'].public_id}", "this server"),
    ):
        refused = await s.http.post(
            "/desk/solidarity",
            data={"csrf": token, "network": "solidarity", "url": url, "action": "boost"},
            headers={"Origin": s.instance.base_url},
        )
        assert refused.status_code == 400
        assert reason in refused.text
    async with s.instance.svc.db.reader() as session:
        after = await session.scalar(select(func.count()).select_from(CurationItem))
    assert after == before
