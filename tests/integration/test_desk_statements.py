"""In the desk: an editor opens a post for co-signing, signs it as their organisation and
withdraws; a post of another organisation cannot be opened by them; the page counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.posts import create_post
from tests.integration.site_support import Site, csrf, log_in, site

pytestmark = pytest.mark.db


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def press(s: Site, path: str, **fields: str) -> object:
    token = await csrf(s, "/desk/statements")
    return await s.http.post(
        path,
        data={"csrf": token, **fields},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )


async def test_an_editor_opens_signs_and_withdraws(s: Site) -> None:
    await log_in(s, "editor")
    note = await create_post(
        s.instance.svc,
        s.union,
        Draft(kind=PostKind.note, body="We stand with the bus drivers.", language="en"),
    )
    opened = await press(s, f"/desk/statements/{note.public_id}/open")
    assert opened.status_code == 303  # type: ignore[attr-defined]

    signed = await press(s, f"/desk/statements/{note.public_id}/sign", actor="oil_workers")
    assert signed.status_code == 303  # type: ignore[attr-defined]
    page = await s.http.get(f"/objects/{note.public_id}", headers={"Accept-Language": "en"})
    assert "Signed by 1 organisation" in page.text
    listing = await s.http.get("/desk/statements")
    assert "Withdraw the signature of" in listing.text

    withdrawn = await press(s, f"/desk/statements/{note.public_id}/withdraw", actor="oil_workers")
    assert withdrawn.status_code == 303  # type: ignore[attr-defined]
    page = await s.http.get(f"/objects/{note.public_id}", headers={"Accept-Language": "en"})
    assert "Signed by 0 organisations" in page.text


async def test_only_the_posts_editors_open_it_and_only_as_their_own_organisation(s: Site) -> None:
    await log_in(s, "editor")  # of oil_workers only
    theirs = s.posts["article"]  # the teachers' bulletin

    refused = await press(s, f"/desk/statements/{theirs.public_id}/open")
    as_other = await press(s, f"/desk/statements/{theirs.public_id}/sign", actor="teachers")

    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert as_other.status_code == 403  # type: ignore[attr-defined]
