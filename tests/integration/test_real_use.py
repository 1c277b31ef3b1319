"""What broke where real use starts (issue: volume and variety), each as a behaviour: content
negotiation, the instance actor's endpoints, what a Mastodon reader sees of a strike report or a
campaign, feeds' languages, WebFinger's answers, and a private CA that adds to the trust store."""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select

from actors.models import Actor, ActorKind
from federation.client import trust_store
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.posts import create_post
from tests.integration.site_support import Site, site

AS = "application/activity+json"


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


@pytest.mark.parametrize(
    ("accept", "wants_json"),
    [
        ("application/json", True),
        ("application/activity+json", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ("application/json, text/plain, */*", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("application/json;q=0.5, text/html", False),
        ("text/html;q=0.1, application/activity+json", True),
        ("*/*", False),
        ("", False),
        ("application/json;q=0", False),
        ("application/json;q=banana", False),
    ],
)
async def test_actors_and_objects_serve_json_to_json_clients_and_pages_to_browsers(
    s: Site, accept: str, wants_json: bool
) -> None:
    for path in ("/actors/oil_workers", f"/objects/{s.posts['strike'].public_id}"):
        response = await s.http.get(path, headers={"Accept": accept} if accept else {})

        assert response.status_code == 200, (path, accept)
        is_json = response.headers["content-type"].startswith(AS)
        assert is_json == wants_json, (path, accept, response.headers["content-type"])
        assert "Accept" in response.headers["vary"].split(", ")


async def test_every_endpoint_the_instance_actor_advertises_answers(s: Site) -> None:
    actor = (await s.http.get("/actor", headers={"Accept": AS})).json()

    for name in ("outbox", "followers", "following", "featured"):
        if name in actor:
            collection = await s.http.get(actor[name], headers={"Accept": AS})
            assert collection.status_code == 200, name
            assert collection.json()["totalItems"] == 0
    about = await s.http.get(actor["url"])
    assert about.status_code == 200
    assert "Oil workers" in about.text
    inbox = await s.http.post(actor["inbox"], content=b"{}", headers={"content-type": AS})
    assert inbox.status_code == 400  # a real inbox: it refuses what is not an activity


async def test_a_strike_reports_headline_reaches_mastodon_readers(s: Site) -> None:
    post = await create_post(
        s.instance.svc,
        s.union,
        Draft(
            kind=PostKind.strike,
            language="en",
            title="Refinery workers walk out",
            body="Day three.",
            details={
                "country": "IR",
                "workplace": "Abadan refinery",
                "sector": "oil_gas",
                "start_date": "2026-05-04",
                "status": "ongoing",
            },
        ),
    )

    note = (await s.http.get(f"/objects/{post.public_id}", headers={"Accept": AS})).json()

    assert "Refinery workers walk out" in note["content"]


async def test_a_campaign_federates_its_arrest_date_and_the_days_in_prison(s: Site) -> None:
    note = (
        await s.http.get(f"/objects/{s.posts['campaign'].public_id}", headers={"Accept": AS})
    ).json()

    assert note["campaign"]["arrestedOn"] == "2026-01-01"
    assert re.search(r"\d+ days in prison on ", note["content"]) or "روز" in note["content"]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
async def test_each_feed_entry_carries_its_own_language(s: Site, fmt: str) -> None:
    await create_post(
        s.instance.svc, s.union, Draft(kind=PostKind.note, language="en", body="In English")
    )

    feed = (await s.http.get(f"/feeds/actor/oil_workers.{fmt}")).text

    if fmt == "atom":
        assert re.search(r'<entry xml:lang="en">', feed)
        assert re.search(r'<entry xml:lang="fa">', feed)
        assert "<feed xml:lang" not in feed
    else:
        assert "<dc:language>en</dc:language>" in feed
        assert "<dc:language>fa</dc:language>" in feed


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("http://[::1", 400),
        ("https://exa mple.org/x", 400),
        ("oil_workers@127.0.0.1:8700", 400),
        ("==acct:oil_workers@127.0.0.1:8700", 400),
        ("acct:", 400),
        ("", 400),
        ("acct:oil_workers@127.0.0.1:8700", 200),
        ("acct:nobody@127.0.0.1:8700", 404),
        ("acct:oil_workers@elsewhere.example", 404),
        ("http://127.0.0.1:8700/actors/oil_workers", 200),
    ],
)
async def test_webfinger_answers_400_for_malformed_and_404_for_unknown(
    s: Site, resource: str, status: int
) -> None:
    response = await s.http.get("/.well-known/webfinger", params={"resource": resource})

    assert response.status_code == status, response.text


def test_a_ca_bundle_adds_to_the_system_trust_store_never_replaces_it(tmp_path: Path) -> None:
    bundle = tmp_path / "private-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    system = ssl.create_default_context().cert_store_stats()["x509_ca"]

    context = trust_store(str(bundle))

    assert context.cert_store_stats()["x509_ca"] == system + 1
    assert context.verify_mode == ssl.CERT_REQUIRED


async def test_a_network_is_readable_unsigned_by_default(s: Site) -> None:
    from actors.directory import NewActor, create_local_actor
    from content.mediastore import MediaStore

    svc = s.instance.svc
    async with svc.db.transaction() as session:
        network = await create_local_actor(
            session,
            svc.uris,
            svc.clock,
            svc.settings.secret_key,
            MediaStore(svc.settings.media_dir),
            NewActor(username="second_network", kind=ActorKind.network),
        )
    outbox = await s.http.get("/actors/second_network/outbox", headers={"Accept": AS})

    assert not network.safety_profile
    assert outbox.status_code == 200
    async with svc.db.reader() as session:
        org = await session.scalar(select(Actor).where(Actor.username == "oil_workers"))
    assert org is not None
