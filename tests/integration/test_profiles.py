"""The network's (and each organisation's) name and description per language: set in the desk
or with `hambastegi actor profile`, shown to readers in their language, carried in the actor
document as nameMap/summaryMap, and sent to followers' servers as one Update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from actors.models import Actor
from outbox.compose import PostError
from outbox.models import Delivery, OutboxActivity
from outbox.profile import ProfileText, set_profile
from tests.integration.site_support import Site, csrf, log_in, remote_follower, site

pytestmark = pytest.mark.db


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def save_profile(s: Site, fields: dict[str, str]) -> object:
    token = await csrf(s, "/desk/profile/solidarity")
    return await s.http.post(
        "/desk/profile/solidarity",
        data={"csrf": token, **fields},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )


async def test_the_network_name_is_shown_in_the_readers_language(s: Site) -> None:
    await remote_follower(s, s.network)
    await log_in(s, "admin")

    saved = await save_profile(
        s,
        {
            "name": "Solidarity",
            "summary": "Workers' solidarity across the region.",
            "name_fa": "شبکهٔ همبستگی کارگری",
            "summary_fa": "همبستگی کارگران در سراسر منطقه.",
            "name_ar": "شبكة التضامن العمالي",
        },
    )

    assert saved.status_code == 303  # type: ignore[attr-defined]
    s.http.cookies.clear()
    persian = (await s.http.get("/", headers={"Accept-Language": "fa"})).text
    arabic = (await s.http.get("/", headers={"Accept-Language": "ar"})).text
    english = (await s.http.get("/", headers={"Accept-Language": "en"})).text
    assert "<h1>شبکهٔ همبستگی کارگری</h1>" in persian
    assert "همبستگی کارگران در سراسر منطقه." in persian
    assert "<h1>شبكة التضامن العمالي</h1>" in arabic
    assert "solidarity across the region." in arabic  # no Arabic description given
    assert "<h1>Solidarity</h1>" in english
    document = (
        await s.http.get(s.network.uri, headers={"Accept": "application/activity+json"})
    ).json()
    assert document["nameMap"]["fa"] == "شبکهٔ همبستگی کارگری"
    assert document["nameMap"]["ar"] == "شبكة التضامن العمالي"
    assert document["name"] == "Solidarity"
    assert "همبستگی کارگران" in document["summaryMap"]["fa"]
    async with s.instance.svc.db.reader() as session:
        updates = list(
            await session.scalars(select(OutboxActivity).where(OutboxActivity.type == "Update"))
        )
        deliveries = list(
            await session.scalars(
                select(Delivery.inbox_uri).where(Delivery.activity_id == updates[0].id)
            )
        )
    assert len(updates) == 1  # one Update for the whole form
    assert updates[0].document["object"]["nameMap"]["fa"] == "شبکهٔ همبستگی کارگری"
    assert deliveries == ["http://127.0.0.1:9/inbox"]


async def test_a_refused_profile_changes_nothing(s: Site) -> None:
    await log_in(s, "admin")

    refused = await save_profile(s, {"name": "", "name_fa": "نام"})
    too_long = await save_profile(s, {"name": "x" * 101})

    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "cannot be empty" in refused.text  # type: ignore[attr-defined]
    assert too_long.status_code == 400  # type: ignore[attr-defined]
    async with s.instance.svc.db.reader() as session:
        network = await session.get(Actor, s.network.id)
    assert network is not None
    assert network.display_name == "Solidarity"
    assert network.translations == {}


async def test_only_the_actors_editors_edit_its_profile(s: Site) -> None:
    await log_in(s, "editor")  # of oil_workers only

    page = await s.http.get("/desk/profile/solidarity")
    own = await s.http.get("/desk/profile/oil_workers")

    assert page.status_code == 403
    assert own.status_code == 200


async def test_an_empty_translation_is_removed_and_a_bad_language_refused(s: Site) -> None:
    svc = s.instance.svc
    await set_profile(svc, "oil_workers", [ProfileText("Oil workers", "", "en")])
    await set_profile(svc, "oil_workers", [ProfileText("", "", "en")])

    with pytest.raises(PostError, match="BCP 47"):
        await set_profile(svc, "oil_workers", [ProfileText("x", "", "not a language")])
    async with svc.db.reader() as session:
        union = await session.get(Actor, s.union.id)
    assert union is not None
    assert union.translations == {}


async def test_a_move_needs_confirming_and_a_target_that_names_us(s: Site) -> None:
    await log_in(s, "editor")
    token = await csrf(s, "/desk/profile/oil_workers")

    unconfirmed = await s.http.post(
        "/desk/profile/oil_workers",
        data={"csrf": token, "action": "move", "target": "teachers@127.0.0.1:8700"},
        headers={"Origin": s.instance.base_url},
    )
    not_named = await s.http.post(
        "/desk/profile/oil_workers",
        data={"csrf": token, "action": "move", "target": s.teachers.uri, "confirm": "yes"},
        headers={"Origin": s.instance.base_url},
    )

    assert unconfirmed.status_code == 400
    assert "confirm" in unconfirmed.text
    assert not_named.status_code == 400
    assert "alsoKnownAs" in not_named.text
    async with s.instance.svc.db.reader() as session:
        union = await session.get(Actor, s.union.id)
    assert union is not None
    assert union.moved_to_uri is None


async def test_a_report_that_cannot_be_sent_says_why_inside_the_desk(s: Site) -> None:
    await log_in(s, "admin")
    token = await csrf(s, "/desk/moderation")

    refused = await s.http.post(
        "/desk/moderation/report",
        data={"csrf": token, "account": s.union.uri, "comment": "x"},
        headers={"Origin": s.instance.base_url},
    )

    assert refused.status_code == 400
    assert "on this server" in refused.text
    assert "Moderation" in refused.text  # still in the desk
