"""What other fediverse software actually sends, and that our inbox accepts each.

The payloads in tests/interop/payloads/ follow the published shapes of Mastodon, GoToSocial,
Misskey, Akkoma (Pleroma), Lemmy and the WordPress ActivityPub plugin; each file names its
source. Here each is served from a loopback peer at its software's URL shapes (its origin is
rewritten to the peer's, and placeholders to our actor and post), signed as that software
signs (rsa-sha256 or hs2019, its header list, keyId with or without a fragment), and posted to
our shared inbox: the answer must be 202, the activity must be processed without error, and it
must have the effect it has on us (a follower, a reply, a boost, a new key, ...)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select

from actors.models import Actor, Follow, FollowState
from actors.resolver import resolve_actor
from federation.digest import digest_header
from federation.keys import generate_private_key, public_key_to_pem
from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity, RemoteObject
from outbox.compose import Draft
from outbox.follows import follow
from outbox.kinds import PostKind
from outbox.models import EventParticipant, Interaction, Post
from outbox.posts import create_post
from tests.factories import make_actor
from tests.harness import Instance, asgi_instance
from tests.peer import Peer, PeerActor

PAYLOADS = Path(__file__).resolve().parents[1] / "interop" / "payloads"
FILES = sorted(PAYLOADS.glob("*/*.json"))
ACTIVITY_JSON = "application/activity+json"


@dataclass
class World:
    instance: Instance
    peer: Peer
    union: Actor
    post: Post
    event: Post


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with Peer().running() as peer, asgi_instance(tmp_path) as instance:
        union = await make_actor(instance.svc, "union")
        post = await create_post(
            instance.svc, union, Draft(kind=PostKind.note, language="fa", body="اعتصاب ادامه دارد")
        )
        event = await create_post(
            instance.svc,
            union,
            Draft(
                kind=PostKind.event,
                language="en",
                title="Yearly conference",
                body="x",
                details={
                    "starts_at": "2027-05-01T10:00",
                    "timezone": "Europe/Istanbul",
                    "location": "Istanbul",
                },
            ),
        )
        yield World(instance, peer, union, post, event)


def load(path: Path) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return fixture


def test_every_software_and_shape_the_issue_names_is_covered() -> None:
    fixtures = [load(path) for path in FILES]
    software = {f["software"].split()[0] for f in fixtures}
    types = {f["activity"]["type"] for f in fixtures}
    algorithms = {f["signature"]["algorithm"] for f in fixtures}

    assert {"Mastodon", "GoToSocial", "Misskey", "Akkoma", "Lemmy", "WordPress"} <= software
    assert {"Follow", "Accept", "Create", "Announce", "Update", "Delete"} <= types
    assert {"rsa-sha256", "hs2019"} <= algorithms
    assert {f["key"] for f in fixtures} >= {"fragment", "document"}
    assert all(f["source"].startswith("https://") for f in fixtures)


def sign(
    actor: PeerActor, url: str, body: bytes, algorithm: str | None, names: str
) -> dict[str, str]:
    """Headers signed as the fixture's software signs them (its header list and algorithm)."""
    host = url.split("/", 3)[2]
    headers = {
        "host": host,
        "date": format_datetime(datetime.now(UTC), usegmt=True),
        "digest": digest_header(body),
        "content-type": ACTIVITY_JSON,
    }
    lines = []
    for name in names.split():
        if name == "(request-target)":
            lines.append(f"(request-target): post /{url.split('/', 3)[3]}")
        else:
            lines.append(f"{name}: {headers[name]}")
    signature = actor.private_key.sign(
        "\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    algo = f'algorithm="{algorithm}",' if algorithm else ""
    headers["signature"] = (
        f'keyId="{actor.key_id}",{algo}headers="{names}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


def substitute(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
async def test_our_inbox_accepts_what_it_sends(world: World, path: Path) -> None:
    fixture = load(path)
    svc = world.instance.svc
    actor_path = fixture["actor_path"]
    actor = world.peer.add_actor(
        actor_path.strip("/").split("/")[-1],
        key_form=fixture["key"],
        path=actor_path,
        type=fixture.get("actor_type", "Person"),
    )
    new_key = generate_private_key()
    values = {
        fixture["origin"]: world.peer.base_url,
        "{{ours}}": world.union.uri,
        "{{post}}": world.post.uri,
        "{{event}}": world.event.uri,
        "{{new_key}}": json.dumps(public_key_to_pem(new_key))[1:-1],
    }
    expect = fixture["expect"]
    if expect in ("our_follow_accepted", "actor_deleted"):
        remote = await resolve_actor(svc, actor.uri)  # we know it before it speaks
        if expect == "our_follow_accepted":
            ours = await follow(svc, world.union, remote)
            values["{{our_follow}}"] = ours.activity_uri or ""
    for served_path, document in fixture.get("serve", {}).items():
        world.peer.serve(served_path, json.loads(substitute(json.dumps(document), values)))
    body = substitute(json.dumps(fixture["activity"], ensure_ascii=False), values).encode()
    inbox = f"{world.instance.base_url}/inbox"
    signature = fixture["signature"]
    headers = sign(actor, inbox, body, signature["algorithm"], signature["headers"])

    response = await world.instance.http.post("/inbox", content=body, headers=headers)
    await inbox_worker(svc).run_once()

    assert response.status_code == 202, response.text
    async with svc.db.reader() as session:
        states = list(await session.scalars(select(ReceivedActivity.state)))
        effect = await _effect(session, expect, world, actor)
    # Processed, or deliberately left alone (a boost of something that does not concern us).
    assert len(states) == 1, states
    assert states[0] in ("processed", "ignored"), states
    assert effect, f"{path.name}: expected {expect}"
    if expect == "key_updated":
        assert effect == public_key_to_pem(new_key)


async def _effect(session: Any, expect: str, world: World, actor: PeerActor) -> Any:
    remote = await session.scalar(select(Actor).where(Actor.uri == actor.uri))
    match expect:
        case "participant":
            return await session.scalar(
                select(EventParticipant.state).where(
                    EventParticipant.actor_id == remote.id,
                    EventParticipant.post_id == world.event.id,
                )
            )
        case "left":
            joined = await session.scalar(
                select(EventParticipant.id).where(EventParticipant.actor_id == remote.id)
            )
            return "not attending" if joined is None else None
        case "follower":
            return await session.scalar(
                select(Follow.state).where(
                    Follow.follower_id == remote.id,
                    Follow.followed_id == world.union.id,
                    Follow.state == FollowState.accepted,
                )
            )
        case "our_follow_accepted":
            return await session.scalar(
                select(Follow.state).where(
                    Follow.follower_id == world.union.id, Follow.state == FollowState.accepted
                )
            )
        case "reply":
            return await session.scalar(
                select(RemoteObject.uri).where(RemoteObject.in_reply_to_uri == world.post.uri)
            )
        case "mention":
            return await session.scalar(
                select(RemoteObject.uri).where(RemoteObject.actor_id == remote.id)
            )
        case "boost" | "like":
            kind = "announce" if expect == "boost" else "like"
            return await session.scalar(
                select(Interaction.id).where(
                    Interaction.kind == kind, Interaction.post_id == world.post.id
                )
            )
        case "key_updated":
            return remote.public_key_pem
        case "actor_deleted":
            return remote is None or remote.deleted_at is not None
        case "processed":
            return True
    raise AssertionError(f"unknown expectation {expect}")
