"""The site at the size of real use: the large demo (`hambastegi demo --size large`, the same
code), built once per test session (`tests.large_network`) and copied for this module onto the
engine under test. Every public page, feed and collection answers on its first, a middle and
its last page; pages validate as HTML."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from actors.models import Actor, Follow, FollowState
from inbox.models import RemoteObject
from network.models import CurationItem, CurationState
from outbox.kinds import PostKind
from outbox.models import OutboxActivity, Post, PostState, Visibility
from tests.harness import Instance
from tests.integration.test_html_validity import validate
from tests.large_network import large_instance
from web import reading

pytestmark = pytest.mark.asyncio(loop_scope="module")
AS = {"Accept": "application/activity+json"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def large(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Instance]:
    async with large_instance(tmp_path_factory) as instance:
        yield instance


async def count(instance: Instance, query: object) -> int:
    async with instance.svc.db.reader() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


def pages_of(total: int, per_page: int) -> list[int]:
    last = max(1, math.ceil(total / per_page))
    return sorted({1, (last + 1) // 2, last})


async def test_the_large_network_has_the_size_of_real_use(large: Instance) -> None:
    posts = await count(large, select(func.count()).select_from(Post))
    remote = await count(large, select(func.count()).select_from(RemoteObject))
    followers = await count(
        large,
        select(func.count()).select_from(Follow).where(Follow.state == FollowState.accepted),
    )
    languages = await count(large, select(func.count(func.distinct(Post.language))))
    kinds = await count(large, select(func.count(func.distinct(Post.kind))))
    scheduled = await count(
        large, select(func.count()).select_from(Post).where(Post.state == PostState.scheduled)
    )

    assert posts >= 5_000
    assert remote >= 500
    assert followers >= 3_000
    assert languages >= 5
    assert kinds == len(PostKind)
    assert scheduled > 0


async def listing_totals(large: Instance) -> dict[str, tuple[int, int]]:
    """Each paged page's total and page size, from the same queries the pages use."""
    svc = large.svc
    async with svc.db.reader() as session:
        network = await reading.primary_network(session)
        assert network is not None
        _e, home = await reading.network_feed(session, network, svc.uris.media)
        org = await session.scalar(select(Actor).where(Actor.username == "org_large_01"))
        assert org is not None
        _e, org_total = await reading.public_posts(session, svc.uris.media, actor_id=org.id)
        _e, bulletins = await reading.public_posts(session, svc.uris.media, kind=PostKind.article)
        _e, campaigns = await reading.public_posts(session, svc.uris.media, kind=PostKind.campaign)
        _e, tagged = await reading.public_posts(session, svc.uris.media, tag="demo1", replies=True)
        _e, _m, strikes = await reading.strikes(session, reading.StrikeFilters(), svc.uris.media)
    per = reading.PER_PAGE
    return {
        "/": (home, per),
        "/actors/solidarity": (home, per),
        "/@solidarity": (home, per),
        "/actors/org_large_01": (org_total, per),
        "/bulletins": (bulletins, per),
        "/campaigns": (campaigns, per),
        "/tags/demo1": (tagged, per),
        "/strikes": (strikes, reading.STRIKES_PER_PAGE),
    }


async def test_every_paged_page_answers_on_its_first_middle_and_last_page(
    large: Instance, tmp_path: Path
) -> None:
    files = []
    for path, (total, per_page) in (await listing_totals(large)).items():
        assert total > per_page, path  # the fixture is large enough to page
        last = max(1, math.ceil(total / per_page))
        for page in pages_of(total, per_page):
            response = await large.http.get(f"{path}?page={page}")

            assert response.status_code == 200, (path, page)
            html = response.text
            entries = len(re.findall(r'<article class="(?:entry|strike-card)', html))
            expected = per_page if page < last else total - (last - 1) * per_page
            if path == "/campaigns":
                entries = len(re.findall(r'<li class="campaign">', html))
            assert entries == expected, (path, page, entries, expected)
            assert ('rel="next"' in html) == (page < last), (path, page)
            assert ('rel="prev"' in html) == (page > 1), (path, page)
            name = re.sub(r"\W+", "_", f"{path}_{page}")
            files.append(tmp_path / f"{name}.html")
            files[-1].write_text(html, encoding="utf-8")

    assert validate(files) == []


@pytest.mark.parametrize(
    "path",
    [
        "/events",
        "/events?page=2",
        "/members",
        "/about",
        "/search?q=workers",
        "/bulletins?lang=fa",
        "/strikes?country=IR",
        "/feeds/actor/solidarity.atom",
        "/feeds/actor/solidarity.rss",
        "/feeds/actor/org_large_02.atom",
        "/feeds/tag/demo3.rss",
        "/feeds/language/ar.atom",
        "/events.ics",
    ],
)
async def test_every_other_public_page_and_feed_answers(large: Instance, path: str) -> None:
    response = await large.http.get(path)

    assert response.status_code == 200, path
    assert response.content


@pytest.mark.parametrize("language", ["en", "fa", "ar"])
async def test_the_home_page_stays_small_for_readers_on_throttled_mobile_data(
    large: Instance, language: str
) -> None:
    """The map is an image file of its own (cached), not inline: the page itself stays under
    60 kB of HTML at the size of real use, in each language."""
    home = await large.http.get("/", headers={"Accept-Language": language})
    map_file = await large.http.get(f"/map/members.svg?lang={language}")

    assert home.status_code == 200
    assert len(home.content) <= 60_000, len(home.content)
    assert f'src="/map/members.svg?lang={language}"' in home.text
    assert map_file.status_code == 200
    assert map_file.headers["content-type"].startswith("image/svg+xml")


async def test_the_calendar_has_a_timezone_for_every_zone_it_uses(large: Instance) -> None:
    calendar = (await large.http.get("/events.ics")).text

    zones = set(re.findall(r"TZID=([^:;]+)", calendar))
    assert zones
    for zone in zones:
        assert f"BEGIN:VTIMEZONE\r\nTZID:{zone}" in calendar


async def test_collections_answer_on_their_first_middle_and_last_page(large: Instance) -> None:
    svc = large.svc
    async with svc.db.reader() as session:
        network = await session.scalar(select(Actor).where(Actor.username == "solidarity"))
        assert network is not None
        followers = await session.scalar(
            select(func.count())
            .select_from(Follow)
            .where(Follow.followed_id == network.id, Follow.state == FollowState.accepted)
        )
        listed = await session.scalar(
            select(func.count())
            .select_from(OutboxActivity)
            .where(OutboxActivity.actor_id == network.id, OutboxActivity.is_listed.is_(True))
        )
    for collection, total in (("followers", followers or 0), ("outbox", listed or 0)):
        head = (await large.http.get(f"/actors/solidarity/{collection}", headers=AS)).json()
        assert head["totalItems"] == total
        for page in pages_of(total, 20):
            response = await large.http.get(
                f"/actors/solidarity/{collection}?page={page}", headers=AS
            )
            assert response.status_code == 200, (collection, page)
            assert response.json()["orderedItems"], (collection, page)


async def test_remote_posts_of_every_shape_show_on_the_networks_pages(large: Instance) -> None:
    async with large.svc.db.reader() as session:
        boosted = await session.scalar(
            select(func.count())
            .select_from(CurationItem)
            .join(RemoteObject, RemoteObject.uri == CurationItem.object_uri)
            .where(CurationItem.state == CurationState.boosted)
        )
        visible = await session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.visibility == Visibility.public, Post.state == PostState.published)
        )
    html = ""
    page = 1
    while "<details" not in html or "remote-media" not in html or 'dir="auto"' not in html:
        html += (await large.http.get(f"/?page={page}")).text
        page += 1
        assert page < 40, "no remote post with a warning, media and unknown language shown"

    assert boosted
    assert visible
    assert 'class="tags"' in html


async def test_a_permalink_of_every_kind_answers_and_validates(
    large: Instance, tmp_path: Path
) -> None:
    files = []
    async with large.svc.db.reader() as session:
        chosen = [
            await session.scalar(
                select(Post)
                .where(
                    Post.kind == kind,
                    Post.state == PostState.published,
                    Post.translation_of_id.is_(None),
                )
                .order_by(Post.id)
                .offset(37)
                .limit(1)
            )
            for kind in PostKind
        ]
        translated = await session.scalar(
            select(Post).where(Post.translation_of_id.is_not(None)).limit(1)
        )
        replied = await session.scalar(select(Post).where(Post.in_reply_to_uri.is_not(None)))
    posts = [p for p in (*chosen, translated, replied) if p is not None]
    assert len(posts) == len(PostKind) + 2
    for post in posts:
        page = await large.http.get(f"/objects/{post.public_id}")
        document = await large.http.get(f"/objects/{post.public_id}", headers=AS)

        assert page.status_code == 200, post.kind
        assert document.status_code == 200, post.kind  # public: unsigned, whatever the profile
        files.append(tmp_path / f"post_{post.kind}_{post.public_id}.html")
        files[-1].write_text(page.text, encoding="utf-8")
        if post.kind == PostKind.event:
            ics = await large.http.get(f"/objects/{post.public_id}/event.ics")
            assert ics.status_code == 200
            assert "BEGIN:VTIMEZONE" in ics.text

    assert validate(files) == []
