"""Against Fedify, an independent ActivityPub implementation (interop/fedify-peer): it finds us
by WebFinger over https, follows, receives what we publish and what the network boosts, boosts
and replies to us (with RFC 9421 and with draft-cavage signatures, and with Object Integrity
Proofs), and fetches from us under authorized fetch."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from actors.models import Actor, ActorKind, Follow, FollowState
from federation.proofs import load_multibase, verify
from inbox.models import ReceivedActivity, RemoteObject
from network.members import MemberProfile, add_member
from network.models import Trust
from outbox.compose import Draft, ImageUpload
from outbox.kinds import PostKind
from outbox.models import Interaction
from outbox.posts import create_post
from tests.factories import make_actor
from tests.harness import Instance, eventually, served_instance
from tests.interop.fedify import CAVAGE, RFC9421, Certificates, FedifyPeer, running_fedify

AS = {"Accept": "application/activity+json"}


@asynccontextmanager
async def ours_and_fedify(
    tmp_path: Path, certificates: Certificates, first_knock: str = RFC9421, **settings: Any
) -> AsyncIterator[tuple[Instance, FedifyPeer]]:
    """Our instance at https://localhost:PORT (a test CA's certificate, as Fedify requires
    https for handles) and the Fedify peer, which trusts that CA."""
    async with (
        served_instance(
            tmp_path,
            scheme="https",
            ssl=(str(certificates.key_file), str(certificates.cert_file)),
            ca_bundle=certificates.ca_file,
            **settings,
        ) as ours,
        running_fedify(certificates, first_knock) as peer,
    ):
        yield ours, peer


async def followed_by_fedify(ours: Instance, peer: FedifyPeer, username: str) -> None:
    """The peer follows @username by handle; our Accept reaches it, verified."""
    handle = f"@{username}@{ours.settings.host}"
    await peer.control("follow", handle=handle)
    accepts = await peer.received(lambda e: e["type"] == "Accept" and e["actor"].endswith(username))
    assert accepts[0]["verified"] is True, accepts
    assert await _follow_state(ours, peer) == [FollowState.accepted]


async def _follow_state(ours: Instance, peer: FedifyPeer) -> list[str]:
    async def states() -> list[str]:
        async with ours.svc.db.reader() as session:
            return list(
                await session.scalars(
                    select(Follow.state)
                    .join(Actor, Actor.id == Follow.follower_id)
                    .where(Actor.uri == peer.actor)
                )
            )

    return await eventually(states, until=lambda s: s == [FollowState.accepted])


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def test_fedify_finds_us_by_handle_over_https_follows_and_our_accept_verifies(
    tmp_path: Path, certificates: Certificates
) -> None:
    async with ours_and_fedify(tmp_path, certificates) as (ours, peer):
        await make_actor(ours.svc, "union", display_name="Oil workers")

        await followed_by_fedify(ours, peer, "union")

        async with ours.svc.db.reader() as session:
            follow = await session.scalar(
                select(ReceivedActivity).where(ReceivedActivity.type == "Follow")
            )
    assert follow is not None
    assert follow.actor_uri == peer.actor


KINDS: list[tuple[PostKind, dict[str, Any], str]] = [
    (PostKind.note, {}, "Note"),
    (
        PostKind.strike,
        {
            "country": "IR",
            "workplace": "پالایشگاه آبادان",
            "sector": "oil_gas",
            "start_date": "2026-05-04",
            "status": "ongoing",
        },
        "Note",
    ),
    (PostKind.article, {}, "Article"),
    (
        PostKind.event,
        {"starts_at": "2099-06-02T18:00", "timezone": "Asia/Tehran", "location": "Online"},
        "Event",
    ),
    (
        PostKind.campaign,
        {
            "person": "کارگر زندانی",
            "country": "IR",
            "arrested_on": "2026-01-01",
            "status": "detained",
        },
        "Note",
    ),
]


async def test_each_kind_we_publish_reaches_fedify_verified_and_parsed(
    tmp_path: Path, certificates: Certificates
) -> None:
    async with ours_and_fedify(tmp_path, certificates) as (ours, peer):
        union = await make_actor(ours.svc, "union")
        await followed_by_fedify(ours, peer, "union")
        posts = {}
        for kind, details, _ in KINDS:
            posts[kind] = await create_post(
                ours.svc,
                union,
                Draft(
                    kind=kind,
                    language="fa",
                    title="بولتن" if kind in (PostKind.article, PostKind.event) else "",
                    body=f"همبستگی با کارگران #اعتصاب ({kind.value})",
                    details=details,
                    images=(ImageUpload(jpeg(), "a red square"),) if kind == PostKind.note else (),
                ),
            )

        creates = await peer.received(lambda e: e["type"] == "Create", count=len(KINDS))
        # The peer notes each POST once Fedify has answered it and the proof is checked
        # (which fetches our key): a moment after its log shows the activity.
        arrivals = await eventually(
            peer.arrivals,
            until=lambda found: len([a for a in found if a["proof"] is not None]) >= len(KINDS),
        )

    # FEP-8b32: each carries an Object Integrity Proof, and Fedify verifies it.
    proofs = [a["proof"] for a in arrivals if a["proof"] is not None]
    assert len(proofs) >= len(KINDS), arrivals
    assert all(proofs), arrivals
    by_object = {entry["objectId"]: entry for entry in creates}
    for kind, _, as_type in KINDS:
        entry = by_object[posts[kind].uri]
        parsed = entry["object"]
        assert entry["verified"] is True, entry
        assert parsed["type"] == as_type, entry
        assert "همبستگی با کارگران" in parsed["content"], entry
        assert "fa" in parsed["languages"], entry
        assert {"type": "Hashtag", "name": "#اعتصاب"}.items() <= parsed["tags"][0].items(), entry
        assert parsed["attributedTo"] == union.uri
    [image] = by_object[posts[PostKind.note].uri]["object"]["attachments"]
    assert image["mediaType"] == "image/jpeg"
    assert image["url"].startswith(f"{ours.base_url}/media/")


async def test_the_networks_boost_reaches_fedify_verified_and_its_object_resolves(
    tmp_path: Path, certificates: Certificates
) -> None:
    async with ours_and_fedify(tmp_path, certificates) as (ours, peer):
        await make_actor(ours.svc, "solidarity", kind=ActorKind.network)
        union = await make_actor(ours.svc, "union")
        await add_member(
            ours.svc, "solidarity", union.uri, MemberProfile("IR", "oil_gas", ("fa",), Trust.auto)
        )
        await followed_by_fedify(ours, peer, "solidarity")

        post = await create_post(
            ours.svc, union, Draft(kind=PostKind.note, language="fa", body="اعتصاب ادامه دارد")
        )
        [boost] = await peer.received(lambda e: e["type"] == "Announce")

    assert boost["verified"] is True, boost
    assert boost["actor"].endswith("/actors/solidarity")
    assert boost["objectId"] == post.uri
    assert boost["object"]["type"] == "Note", boost  # Fedify fetched it from us and parsed it
    assert "اعتصاب ادامه دارد" in boost["object"]["content"]


@pytest.mark.parametrize("first_knock", [RFC9421, CAVAGE])
async def test_fedify_boosts_and_replies_and_we_accept_both(
    tmp_path: Path, certificates: Certificates, first_knock: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Its activities carry Object Integrity Proofs (it has an Ed25519 key) and are signed with
    the given HTTP signature standard first; we accept them at the first knock (Fedify would
    retry with the other standard after a refusal, so we check that nothing was refused)."""
    caplog.set_level(logging.INFO, logger="inbox.routes")
    async with ours_and_fedify(tmp_path, certificates, first_knock) as (ours, peer):
        union = await make_actor(ours.svc, "union")
        post = await create_post(
            ours.svc, union, Draft(kind=PostKind.note, language="en", body="Strike day 3")
        )
        handle = f"@union@{ours.settings.host}"

        await peer.control("announce", to=handle, object=post.uri)
        reply = await peer.control(
            "reply", to=handle, object=post.uri, content="<p>Solidarity!</p>"
        )

        boosts = await eventually(lambda: _count(ours, Interaction), until=lambda n: n == 1)
        replies = await eventually(
            lambda: _replies(ours, post.uri), until=lambda uris: uris == [reply["note"]]
        )
        async with ours.svc.db.reader() as session:
            documents = list(await session.scalars(select(ReceivedActivity.document)))
            fedify = await session.scalar(select(Actor).where(Actor.uri == peer.actor))

    assert boosts == 1
    assert replies == [reply["note"]]
    assert all("proof" in document for document in documents), documents
    # We verified Fedify's proofs with its Multikey (a wrong one would have been refused).
    assert fedify is not None
    assert fedify.document is not None
    keys = {m["id"]: m["publicKeyMultibase"] for m in fedify.document["assertionMethod"]}
    for document in documents:
        method = document["proof"]["verificationMethod"]
        verify(document, load_multibase(keys[method]))
    assert "inbox refused" not in caplog.text


async def _count(ours: Instance, model: Any) -> int:
    async with ours.svc.db.reader() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def _replies(ours: Instance, uri: str) -> list[str]:
    async with ours.svc.db.reader() as session:
        return list(
            await session.scalars(
                select(RemoteObject.uri).where(RemoteObject.in_reply_to_uri == uri)
            )
        )


@pytest.mark.parametrize("spec", [RFC9421, CAVAGE])
async def test_under_authorized_fetch_fedifys_signed_gets_succeed_and_unsigned_get_401(
    tmp_path: Path, certificates: Certificates, spec: str
) -> None:
    async with ours_and_fedify(tmp_path, certificates, authorized_fetch=True) as (ours, peer):
        union = await make_actor(ours.svc, "union")
        post = await create_post(
            ours.svc, union, Draft(kind=PostKind.note, language="en", body="For members")
        )
        urls = [post.uri, f"{union.uri}/outbox", f"{union.uri}/followers"]

        signed = [await peer.control("fetch", url=url, signed=True, spec=spec) for url in urls]
        unsigned = [await peer.control("fetch", url=url, signed=False) for url in urls]

    assert [r["status"] for r in signed] == [200, 200, 200], signed
    assert [r["status"] for r in unsigned] == [401, 401, 401], unsigned
