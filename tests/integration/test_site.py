"""The public site: every page answers, in the reader's language and direction, with feeds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select, text

from actors.directory import instance_started
from network.models import JoinRequest
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Post
from outbox.posts import create_post, edit_post
from tests.integration.site_support import Site, site
from web.regionmap import shade


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


PAGES = [
    "/",
    "/members",
    "/members?map=strikes",
    "/members?country=IR",
    "/strikes",
    "/strikes?country=IR",
    "/campaigns",
    "/events",
    "/bulletins",
    "/bulletins?lang=ar",
    "/search?q=abc",
    "/join",
    "/tags/نفت",
    "/@oil_workers",
    "/actors/solidarity",
    "/desk/login",
]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_answers_with_a_title_and_landmarks(s: Site, path: str) -> None:
    response = await s.http.get(path)

    assert response.status_code == 200
    for landmark in ("<title>", "<main", "<header", "<nav", "<footer", 'lang="', 'dir="'):
        assert landmark in response.text


async def test_the_interface_follows_the_readers_language_and_direction(s: Site) -> None:
    fa = await s.http.get("/strikes", headers={"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"})
    ar = await s.http.get("/", headers={"Cookie": "lang=ar"})
    en = await s.http.get("/strikes", headers={"Accept-Language": "en"})

    assert '<html lang="fa" dir="rtl">' in fa.text
    assert "رصد اعتصاب‌ها" in fa.text
    assert '<html lang="ar" dir="rtl">' in ar.text
    assert "من الشبكة" in ar.text
    assert '<html lang="en" dir="ltr">' in en.text


async def test_every_post_carries_its_own_language_and_direction(s: Site) -> None:
    page = await s.http.get(
        s.posts["article"].uri, headers={"Accept": "text/html", "Accept-Language": "en"}
    )

    assert '<html lang="en" dir="ltr">' in page.text
    assert 'lang="ar" dir="rtl"' in page.text


async def test_the_home_page_shows_the_networks_boosts_with_provenance_and_the_map(s: Site) -> None:
    page = (await s.http.get("/")).text

    assert "پالایشگاه" in page  # the trusted member's strike report was boosted
    assert "trusted member" in page  # provenance
    assert "النشرة الشهرية" not in page  # the review member's post waits for a curator
    assert '<img class="region-map" src="/map/members.svg?lang=en"' in page
    assert '<a href="/members?country=IR">Iran</a>: 1 member' in page  # the numbers, as links
    svg = await s.http.get("/map/members.svg?lang=en")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "max-age=300" in svg.headers["cache-control"]
    assert '<title id="t">Member organisations by country</title>' in svg.text
    assert f'<g fill="{shade(1)}">' in svg.text  # Iran's one member, in its shade


async def test_the_map_is_a_file_of_its_own_in_the_language_asked_for(s: Site) -> None:
    fa = await s.http.get("/map/strikes.svg?lang=fa")
    unknown = await s.http.get("/map/elsewhere.svg")

    assert fa.status_code == 200
    assert "گزارش" in fa.text  # its title, in Persian
    assert fa.headers["content-language"] == "fa"
    assert unknown.status_code == 404


async def test_an_article_leads_with_its_written_teaser_and_never_repeats_its_opening(
    s: Site,
) -> None:
    written = await create_post(
        s.instance.svc,
        s.teachers,
        Draft(
            kind=PostKind.article,
            language="en",
            title="Teachers' pay",
            summary="Why the strike goes on.",
            body="The ministry has not answered the union's letter.",
        ),
    )

    with_teaser = (await s.http.get(written.uri, headers={"Accept": "text/html"})).text
    cut_from_body = (await s.http.get(s.posts["article"].uri, headers={"Accept": "text/html"})).text

    assert '<p class="p-summary lead">Why the strike goes on.</p>' in with_teaser
    assert "p-summary lead" not in cut_from_body
    main = cut_from_body.split("<main", 1)[1].split("</main>", 1)[0]
    assert main.count("نضال المعلمين مستمر") == 1


async def test_provenance_is_shown_in_the_readers_language(s: Site) -> None:
    persian = (await s.http.get("/", headers={"Accept-Language": "fa"})).text
    arabic = (await s.http.get("/", headers={"Accept-Language": "ar"})).text

    assert "بازنشر شبکه: عضو مورد اعتماد؛ همهٔ قاعده‌ها رعایت شده" in persian
    assert "أعادت الشبكة نشره: عضو موثوق؛ استوفى كل القواعد" in arabic
    assert "trusted member" not in persian + arabic


async def test_the_strike_tracker_filters_and_counts_per_month(s: Site) -> None:
    iran = (await s.http.get("/strikes?country=IR")).text
    egypt = (await s.http.get("/strikes?country=EG")).text

    assert "پالایشگاه آبادان" in iran
    assert '<th scope="row">2026-05</th><td>1</td>' in iran
    assert '<svg class="chart"' in iran
    assert "پالایشگاه آبادان" not in egypt


async def test_search_finds_persian_words(s: Site) -> None:
    found = (await s.http.get("/search", params={"q": "پالایشگاه"})).text
    missing = (await s.http.get("/search", params={"q": "nonexistentword"})).text

    assert s.posts["strike"].uri in found
    assert s.posts["strike"].uri not in missing


async def test_tag_pages_list_posts_in_any_script(s: Site) -> None:
    page = (await s.http.get("/tags/نفت")).text

    assert s.posts["strike"].uri in page


async def test_campaign_pages_count_days_in_prison(s: Site) -> None:
    page = (
        await s.http.get(
            s.posts["campaign"].uri, headers={"Accept": "text/html", "Accept-Language": "en"}
        )
    ).text

    assert "days in prison" in page
    assert "detained" in page


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/feeds/actor/oil_workers.atom", "application/atom+xml"),
        ("/feeds/actor/oil_workers.rss", "application/rss+xml"),
        ("/feeds/actor/solidarity.atom", "application/atom+xml"),
        ("/feeds/tag/نفت.rss", "application/rss+xml"),
        ("/feeds/language/fa.atom", "application/atom+xml"),
    ],
)
async def test_feeds_are_well_formed_and_list_posts(s: Site, path: str, media_type: str) -> None:
    response = await s.http.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    root = ET.fromstring(response.content)
    assert s.posts["strike"].uri in response.text
    assert root.tag in ("rss", "{http://www.w3.org/2005/Atom}feed")


async def test_a_feed_reads_the_same_until_something_in_it_changes(s: Site) -> None:
    # Feed readers poll with If-None-Match, and the ETag is the body's hash: a feed that
    # says "updated: now" changes on every request. An empty tag's feed says when the
    # instance began; an organisation's, its newest post or edit.
    paths = ("/feeds/tag/nothing_here_yet.atom", "/feeds/actor/oil_workers.atom")
    first = [(await s.http.get(path)).content for path in paths]
    again = [(await s.http.get(path)).content for path in paths]
    async with s.instance.svc.db.reader() as session:
        began = await instance_started(session)

    assert first == again
    assert _atom_updated(first[0]) == began


async def test_an_edit_is_the_feeds_newest_change(s: Site) -> None:
    svc = s.instance.svc
    note = await create_post(svc, s.union, Draft(kind=PostKind.note, language="fa", body="نخست"))
    await edit_post(svc, note.public_id, Draft(kind=PostKind.note, language="fa", body="ویرایش"))
    async with svc.db.reader() as session:
        edited = await session.scalar(select(Post.updated_at).where(Post.id == note.id))

    feed = (await s.http.get("/feeds/actor/oil_workers.atom")).content

    assert edited is not None
    assert note.published_at is not None
    assert edited > note.published_at
    assert _atom_updated(feed) == edited
    [entry] = [
        e for e in ET.fromstring(feed).iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == note.uri
    ]
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "") == edited


ATOM = "{http://www.w3.org/2005/Atom}"


def _atom_updated(feed: bytes) -> datetime:
    return datetime.fromisoformat(ET.fromstring(feed).findtext(f"{ATOM}updated") or "")


async def test_unknown_feeds_are_404(s: Site) -> None:
    assert (await s.http.get("/feeds/actor/nobody.atom")).status_code == 404
    assert (await s.http.get("/feeds/actor/oil_workers.json")).status_code == 404


async def test_events_are_downloadable_as_icalendar(s: Site) -> None:
    one = await s.http.get(f"{s.posts['event'].uri}/event.ics")
    every = await s.http.get("/events.ics")

    [event] = [c for c in Calendar.from_ical(one.content).walk() if c.name == "VEVENT"]
    assert one.headers["content-type"].startswith("text/calendar")
    assert str(event["summary"]) == "Monthly meeting"
    assert event.decoded("dtstart").isoformat() == "2099-06-02T18:00:00+02:00"
    assert "Monthly meeting" in every.text
    assert (await s.http.get(f"{s.posts['strike'].uri}/event.ics")).status_code == 404


async def test_posts_carry_author_attribution_and_opengraph(s: Site) -> None:
    page = (await s.http.get(s.posts["strike"].uri, headers={"Accept": "text/html"})).text

    assert f'<meta name="fediverse:creator" content="@oil_workers@{s.instance.host}">' in page
    assert '<meta property="og:title"' in page


async def test_the_join_form_records_an_application(s: Site) -> None:
    form = await s.http.get("/join")
    token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]

    sent = await s.http.post(
        "/join",
        data={
            "csrf": token,
            "organisation": "Bus drivers",
            "contact": "signal +1",
            "country": "TN",
            "sector": "transport",
            "languages": "ar fr",
            "description": "Tunis",
        },
    )

    assert sent.status_code == 200
    assert "application was received" in sent.text
    async with s.instance.svc.db.reader() as session:
        [application] = list(await session.scalars(select(JoinRequest)))
    assert (application.organisation, application.country, application.languages) == (
        "Bus drivers",
        "TN",
        ["ar", "fr"],
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"csrf": "forged"}, "form expired"),
        ({"country": "XX"}, "country must be"),
        ({"organisation": ""}, "name is required"),
    ],
)
async def test_bad_join_applications_are_refused_and_nothing_is_stored(
    s: Site, fields: dict[str, str], message: str
) -> None:
    form = await s.http.get("/join")
    token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    data = {
        "csrf": token,
        "organisation": "X",
        "contact": "y",
        "country": "TN",
        "sector": "transport",
        **fields,
    }

    response = await s.http.post("/join", data=data)

    assert response.status_code == 400
    assert message in response.text
    async with s.instance.svc.db.reader() as session:
        assert list(await session.scalars(select(JoinRequest))) == []


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
async def test_the_language_switch_never_redirects_off_site(s: Site, target: str) -> None:
    response = await s.http.get(
        "/language", params={"lang": "fa", "next": target}, follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "lang=fa" in response.headers["set-cookie"]


async def test_security_headers_are_on_every_page(s: Site) -> None:
    response = await s.http.get("/")

    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_search_follows_an_edit_and_keeps_one_entry_per_post(s: Site) -> None:
    article = s.posts["article"]
    await edit_post(
        s.instance.svc,
        article.public_id,
        Draft(
            kind=PostKind.article,
            language="ar",
            title=article.title,
            body="تضامن العمال الجديد",
        ),
    )

    new = (await s.http.get("/search", params={"q": "الجديد"})).text
    old = (await s.http.get("/search", params={"q": "مستمر"})).text
    async with s.instance.svc.db.reader() as session:
        entries = await session.scalar(
            text("SELECT count(*) FROM post_search WHERE post_id = :id"), {"id": article.id}
        )

    assert article.uri in new
    assert article.uri not in old
    assert entries == 1
