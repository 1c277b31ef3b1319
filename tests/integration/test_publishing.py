"""Publishing each kind, delivered to followers as Mastodon expects to receive it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpsig
import pytest
from PIL import Image
from sqlalchemy import func, select

from core.clock import FrozenClock
from federation.vocab import PUBLIC
from outbox.compose import Draft, ImageUpload, PostError
from outbox.kinds import PostKind
from outbox.models import Delivery, PostRevision, Visibility
from outbox.posts import delete_post, edit_post, publish_due, set_pinned
from tests.integration.publishing_support import Newsroom, newsroom

AS = {"Accept": "application/activity+json"}


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Newsroom]:
    async with newsroom(tmp_path) as r:
        yield r


async def test_a_note_reaches_the_followers_server_as_a_signed_create(room: Newsroom) -> None:
    post = await room.publish(body="Workers at the port walked out today. #strike")

    [received] = await room.deliver()
    create = received.json()

    assert received.path == "/inbox"  # the follower's shared inbox
    assert create["type"] == "Create"
    assert create["actor"] == room.s.union_uri
    note = create["object"]
    assert note["id"] == post.uri
    assert note["type"] == "Note"
    assert note["attributedTo"] == room.s.union_uri
    assert note["to"] == [PUBLIC]
    assert note["cc"] == [f"{room.s.union_uri}/followers"]
    assert "walked out" in note["content"]
    assert note["contentMap"] == {"en": note["content"]}
    assert {
        "type": "Hashtag",
        "name": "#strike",
        "href": f"{room.s.instance.base_url}/tags/strike",
    } in note["tag"]
    union = (await room.s.instance.http.get("/actors/union", headers=AS)).json()
    assert httpsig.HeaderVerifier(
        received.headers,
        union["publicKey"]["publicKeyPem"],
        method="POST",
        path="/inbox",
        sign_header="signature",
    ).verify()


async def test_the_object_url_serves_the_same_object(room: Newsroom) -> None:
    post = await room.publish(body="Hello")

    fetched = await room.s.instance.http.get(post.uri, headers=AS)
    page = await room.s.instance.http.get(post.uri, headers={"Accept": "text/html"})

    assert fetched.status_code == 200
    assert fetched.json()["id"] == post.uri
    assert fetched.json()["likes"]["totalItems"] == 0
    assert page.status_code == 200
    assert 'lang="en"' in page.text


async def test_persian_and_arabic_hashtags_become_tags_linking_to_our_tag_pages(
    room: Newsroom,
) -> None:
    await room.publish(body="اعتصاب #کارگران‌_نفت و #إضراب_المعلمين", language="fa")

    [received] = await room.deliver()
    tags = [t for t in received.json()["object"]["tag"] if t["type"] == "Hashtag"]

    assert [t["name"] for t in tags] == ["#کارگران\u200c_نفت", "#إضراب_المعلمين"]
    assert tags[0]["href"].startswith(f"{room.s.instance.base_url}/tags/%D")


async def test_a_mention_is_resolved_tagged_addressed_and_delivered(room: Newsroom) -> None:
    bob = room.s.peer.add_actor("bob")

    await room.publish(body=f"Thanks @bob@{room.s.peer.host} for the report")
    [received] = await room.deliver()
    note = received.json()["object"]

    assert {"type": "Mention", "href": bob.uri, "name": f"@bob@{room.s.peer.host}"} in note["tag"]
    assert bob.uri in note["cc"]
    assert 'class="u-url mention"' in note["content"]


async def test_a_strike_report_shows_every_field_and_carries_them_machine_readably(
    room: Newsroom,
) -> None:
    details = {
        "country": "IR",
        "region": "Khuzestan",
        "workplace": "Haft Tappeh sugar mill",
        "employer": "Haft Tappeh Co.",
        "sector": "sugar_food",
        "workers": 4000,
        "start_date": "2026-05-01",
        "status": "ongoing",
        "demands": ["unpaid wages", "reinstatement"],
        "sources": ["https://news.example/haft-tappeh"],
    }
    await room.publish(
        PostKind.strike, body="The strike is in its third week.", language="fa", details=details
    )

    [received] = await room.deliver()
    note = received.json()["object"]

    assert note["type"] == "Note"
    assert note["kind"] == "strike"
    for shown in (
        "Haft Tappeh sugar mill",
        "ایران",
        "Khuzestan",
        "unpaid wages",
        "https://news.example/haft-tappeh",
        "third week",
    ):
        assert shown in note["content"]
    assert note["strike"] == {
        "country": "IR",
        "region": "Khuzestan",
        "workplace": "Haft Tappeh sugar mill",
        "employer": "Haft Tappeh Co.",
        "sector": "sugar_food",
        "workers": 4000,
        "startDate": "2026-05-01",
        "endDate": None,
        "status": "ongoing",
        "demands": ["unpaid wages", "reinstatement"],
        "sources": ["https://news.example/haft-tappeh"],
    }
    names = {t["name"] for t in note["tag"] if t["type"] == "Hashtag"}
    assert {"#strike", "#Iran", "#sugar_food"} <= names
    assert "https://w3id.org/hambastegi/ns#" in str(received.json()["@context"])


async def test_a_strike_status_change_is_an_update_with_history_kept(room: Newsroom) -> None:
    details = {
        "country": "EG",
        "workplace": "Mahalla textile mill",
        "sector": "textiles",
        "start_date": "2026-04-01",
        "status": "ongoing",
    }
    post = await room.publish(PostKind.strike, body="Day one.", details=details)
    await room.deliver()

    await edit_post(
        room.s.instance.svc,
        post.public_id,
        Draft(
            kind=PostKind.strike,
            body="Day one. Update: the workers won.",
            language="en",
            details={**details, "status": "won", "end_date": "2026-04-20"},
        ),
    )
    [received] = await room.deliver()
    update = received.json()

    assert update["type"] == "Update"
    assert update["object"]["id"] == post.uri
    assert update["object"]["strike"]["status"] == "won"
    assert update["object"]["updated"]
    async with room.s.instance.svc.db.reader() as session:
        history = list(await session.scalars(select(PostRevision.details)))
    assert [h["status"] for h in history] == ["ongoing"]


async def test_an_article_is_shown_on_mastodon_by_name_summary_link_and_image(
    room: Newsroom,
) -> None:
    png = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 0)).save(png, "PNG")
    body = "Long bulletin text. " * 100
    post = await room.publish(
        PostKind.article,
        body=body,
        title="Monthly bulletin, May",
        images=(ImageUpload(png.getvalue(), "A banner"),),
    )

    [received] = await room.deliver()
    article = received.json()["object"]

    assert article["type"] == "Article"
    assert article["name"] == "Monthly bulletin, May"
    assert len(article["summary"]) <= 501
    assert "<" not in article["summary"]
    assert article["summary"].startswith("Long bulletin text.")
    assert article["url"] == post.uri
    assert article["content"].count("Long bulletin text.") == 100
    assert article["image"]["url"].startswith(f"{room.s.instance.base_url}/media/")
    assert article["attachment"][0]["name"] == "A banner"


async def test_an_event_carries_date_time_zone_and_place_in_its_summary(room: Newsroom) -> None:
    details = {
        "starts_at": "2026-06-02T18:00",
        "ends_at": "2026-06-02T20:00",
        "timezone": "Europe/Stockholm",
        "location": "ABF-huset, Stockholm",
        "online_url": "https://meet.example/monthly",
    }
    await room.publish(
        PostKind.event,
        body="Agenda: reports from members.",
        title="Monthly meeting",
        details=details,
    )

    [received] = await room.deliver()
    event = received.json()["object"]

    assert event["type"] == "Event"
    assert event["name"] == "Monthly meeting"
    assert event["startTime"] == "2026-06-02T18:00:00+02:00"
    assert event["endTime"] == "2026-06-02T20:00:00+02:00"
    assert event["timezone"] == "Europe/Stockholm"
    assert event["location"]["name"] == "ABF-huset, Stockholm"
    for part in (
        "June 2, 2026",
        "6:00",
        "8:00",
        "Europe/Stockholm",
        "UTC+02:00",
        "ABF-huset",
        "meet.example",
    ):
        assert part in event["summary"]


async def test_a_campaign_can_be_pinned_and_unpinned(room: Newsroom) -> None:
    details = {
        "person": "Reza S.",
        "country": "IR",
        "union": "Bus workers' syndicate",
        "arrested_on": "2026-01-10",
        "charges": ["assembly and collusion"],
        "status": "detained",
        "actions": [{"label": "Sign the petition", "url": "https://petition.example/reza"}],
    }
    post = await room.publish(PostKind.campaign, body="Reza was arrested at dawn.", details=details)
    await room.deliver()

    await set_pinned(room.s.instance.svc, post.public_id, pinned=True)
    [added] = await room.deliver()
    featured = (await room.s.instance.http.get("/actors/union/featured", headers=AS)).json()
    await set_pinned(room.s.instance.svc, post.public_id, pinned=False)
    [removed] = await room.deliver()

    assert added.json()["type"] == "Add"
    assert added.json()["target"] == f"{room.s.union_uri}/featured"
    assert [item["id"] for item in featured["orderedItems"]] == [post.uri]
    assert featured["orderedItems"][0]["campaign"]["person"] == "Reza S."
    assert "Sign the petition" in featured["orderedItems"][0]["content"]
    assert removed.json()["type"] == "Remove"


async def test_campaign_updates_are_replies_in_its_thread(room: Newsroom) -> None:
    campaign = await room.publish(
        PostKind.campaign, body="Arrested.", details={"person": "N.", "country": "TN"}
    )
    update = await room.publish(
        body="Day 30: still held without charge.", in_reply_to=campaign.public_id
    )

    await room.deliver()
    fetched = (await room.s.instance.http.get(update.uri, headers=AS)).json()

    assert fetched["inReplyTo"] == campaign.uri


async def test_a_deleted_post_answers_410_with_a_tombstone_and_the_delete_reaches_everyone(
    room: Newsroom,
) -> None:
    bob = room.s.peer.add_actor("bob")
    post = await room.publish(body=f"Hi @bob@{room.s.peer.host}")
    await room.deliver()

    await delete_post(room.s.instance.svc, post.public_id)
    [received] = await room.deliver()
    gone = await room.s.instance.http.get(post.uri, headers=AS)
    page = await room.s.instance.http.get(post.uri, headers={"Accept": "text/html"})

    assert received.json()["type"] == "Delete"
    assert received.json()["object"] == {
        "id": post.uri,
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": received.json()["object"]["deleted"],
    }
    assert gone.status_code == 410
    assert gone.json()["type"] == "Tombstone"
    assert page.status_code == 410
    assert bob.uri  # bob shares the peer's inbox: one delivery reached both


async def test_a_scheduled_post_is_invisible_and_unfederated_until_its_time(tmp_path: Path) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with newsroom(tmp_path, clock=clock) as room:
        post = await room.publish(
            body="Embargoed until Monday", publish_at=clock.now() + timedelta(hours=2)
        )

        before = await room.deliver()
        hidden = await room.s.instance.http.get(post.uri, headers=AS)
        clock.advance(timedelta(hours=2, seconds=1))
        published = await publish_due(room.s.instance.svc)
        after = await room.deliver()
        shown = await room.s.instance.http.get(post.uri, headers=AS)

    assert before == []
    assert hidden.status_code == 404
    assert published == 1
    assert [r.json()["type"] for r in after] == ["Create"]
    assert shown.status_code == 200


@pytest.mark.parametrize(
    ("visibility", "to", "cc_has_public"),
    [(Visibility.unlisted, "followers", True), (Visibility.followers, "followers", False)],
)
async def test_visibility_addressing(
    room: Newsroom, visibility: Visibility, to: str, cc_has_public: bool
) -> None:
    await room.publish(body="x", visibility=visibility)

    [received] = await room.deliver()
    note = received.json()["object"]

    assert note["to"] == [f"{room.s.union_uri}/{to}"]
    assert (PUBLIC in note["cc"]) is cc_has_public


async def test_followers_only_posts_are_fetchable_only_by_followers(room: Newsroom) -> None:
    from federation.signatures import sign_request

    post = await room.publish(body="for members", visibility=Visibility.followers)
    stranger = room.s.peer.add_actor("stranger")
    async with __import__("tests.peer", fromlist=["running_peer"]).running_peer() as elsewhere:
        outsider = elsewhere.add_actor("outsider")
        signed_by_outsider = sign_request(
            outsider.signing_key, "GET", post.uri, None, datetime.now(UTC)
        )
        refused = await room.s.instance.http.get(post.uri, headers={**AS, **signed_by_outsider})
    signed_by_follower_server = sign_request(
        stranger.signing_key, "GET", post.uri, None, datetime.now(UTC)
    )

    unsigned = await room.s.instance.http.get(post.uri, headers=AS)
    allowed = await room.s.instance.http.get(post.uri, headers={**AS, **signed_by_follower_server})

    assert unsigned.status_code == 404
    assert refused.status_code == 404
    assert allowed.status_code == 200


async def test_an_uploaded_jpeg_with_gps_is_served_without_metadata(room: Newsroom) -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (35.0, 41.0, 0.0), 3: "E", 4: (51.0, 25.0, 0.0)}
    jpeg = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 20, 30)).save(jpeg, "JPEG", exif=exif.tobytes())
    assert b"PhoneMaker" in jpeg.getvalue()

    await room.publish(
        body="Photo from the picket", images=(ImageUpload(jpeg.getvalue(), "Workers at the gate"),)
    )
    [received] = await room.deliver()
    image = received.json()["object"]["attachment"][0]
    served = await room.s.instance.http.get(image["url"])

    assert image["name"] == "Workers at the gate"
    assert image["mediaType"] == "image/jpeg"
    assert served.status_code == 200
    reopened = Image.open(io.BytesIO(served.content))
    assert not reopened.getexif()
    assert b"PhoneMaker" not in served.content
    assert "exif" not in reopened.info
    assert "xmp" not in reopened.info


async def test_translations_are_linked_both_ways(room: Newsroom) -> None:
    original = await room.publish(PostKind.article, body="متن", title="خبرنامه", language="fa")
    english = await room.publish(
        PostKind.article,
        body="Text",
        title="Bulletin",
        language="en",
        translation_of=original.public_id,
    )

    fa = (await room.s.instance.http.get(original.uri, headers=AS)).json()
    en = (await room.s.instance.http.get(english.uri, headers=AS)).json()
    page = (await room.s.instance.http.get(original.uri, headers={"Accept": "text/html"})).text

    assert en["translationOf"] == original.uri
    assert fa["translations"] == [{"id": english.uri, "language": "en"}]
    assert f'hreflang="en" href="{english.uri}"' in page


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        (PostKind.article, {}, "needs a title"),
        (
            PostKind.strike,
            {
                "details": {
                    "country": "XX",
                    "workplace": "w",
                    "sector": "textiles",
                    "start_date": "2026-01-01",
                }
            },
            "country must be",
        ),
        (
            PostKind.strike,
            {
                "details": {
                    "country": "IR",
                    "workplace": "w",
                    "sector": "textiles",
                    "start_date": "01/02/2026",
                }
            },
            "start_date must be a date",
        ),
        (
            PostKind.strike,
            {
                "details": {
                    "country": "IR",
                    "workplace": "w",
                    "sector": "weaving",
                    "start_date": "2026-01-01",
                }
            },
            "sector must be one of",
        ),
        (
            PostKind.event,
            {
                "title": "t",
                "details": {
                    "starts_at": "2026-06-02T18:00",
                    "timezone": "Mars/Base",
                    "location": "x",
                },
            },
            "timezone must be",
        ),
        (PostKind.note, {"language": "not-a-language!"}, "language must be"),
        (PostKind.note, {"images": (ImageUpload(b"<svg/>", "alt"),)}, "not a JPEG, PNG or WebP"),
        (PostKind.note, {"images": (ImageUpload(b"x", ""),)}, "needs alt text"),
    ],
)
async def test_bad_posts_are_refused_with_a_reason_and_nothing_is_sent(
    room: Newsroom, kind: PostKind, fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(PostError, match=message):
        await room.publish(kind, **fields)

    assert await room.deliver() == []
    async with room.s.instance.svc.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0


async def test_a_language_edition_boosts_only_its_language(room: Newsroom) -> None:
    from actors.directory import NewActor, create_local_actor
    from actors.models import ActorKind
    from content.mediastore import MediaStore

    svc = room.s.instance.svc
    async with svc.db.transaction() as session:
        await create_local_actor(
            session,
            svc.uris,
            svc.clock,
            svc.settings.secret_key,
            MediaStore(svc.settings.media_dir),
            NewActor(
                username="union_en", kind=ActorKind.organization, language="en", edition_of="union"
            ),
        )
    english = await room.publish(body="In English", language="en")
    await room.publish(body="به فارسی", language="fa")

    outbox = (await room.s.instance.http.get("/actors/union_en/outbox?page=1", headers=AS)).json()

    assert [item["type"] for item in outbox["orderedItems"]] == ["Announce"]
    assert outbox["orderedItems"][0]["object"] == english.uri
