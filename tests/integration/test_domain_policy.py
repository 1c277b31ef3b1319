"""A domain block cannot be side-stepped, and it ends the relationships: every server an
activity involves is checked (at the door, in the worker, on signed fetches); a key elsewhere
counts only when its owner names it; blocking removes follows both ways (each told), cancels
what was queued, and allowlist mode means the same in every process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from actors.domains import forget_rules, set_policy
from actors.models import Actor, DomainPolicyKind, Follow, FollowState
from actors.resolver import resolve_actor
from federation.signatures import sign_request
from hambastegi.instance import StartupError, prepare_instance
from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity
from outbox.blocks import block_domain
from outbox.enqueue import enqueue
from outbox.follows import follow
from outbox.models import Delivery, DeliveryState
from outbox.worker import DeliveryWorker
from storage.meta import get_meta, set_meta
from tests.factories import make_actor
from tests.harness import Instance, asgi_instance
from tests.peer import Peer, PeerActor, activity

AS = {"Accept": "application/activity+json"}


@dataclass
class World:
    instance: Instance
    bad: Peer  # the server we block
    good: Peer  # an unblocked server
    union: Actor

    async def post(self, document: dict[str, Any], actor: PeerActor) -> int:
        import orjson

        body = orjson.dumps(document)
        url = f"{self.instance.base_url}/inbox"
        headers = sign_request(actor.signing_key, "POST", url, body, datetime.now(UTC))
        headers["content-type"] = "application/activity+json"
        return (await self.instance.http.post("/inbox", content=body, headers=headers)).status_code

    async def block(self, peer: Peer) -> None:
        async with self.instance.svc.db.transaction() as session:
            await set_policy(session, self.instance.svc.clock, peer.host, DomainPolicyKind.block)
        forget_rules(self.instance.svc)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with Peer().running() as bad, Peer().running() as good, asgi_instance(tmp_path) as inst:
        union = await make_actor(inst.svc, "union", safety_profile=True)
        yield World(inst, bad, good, union)


def key_elsewhere(world: World) -> PeerActor:
    """An actor on the blocked server whose key sits on the unblocked one."""
    mallory = world.bad.add_actor("mallory")
    mallory.key_id = f"{world.good.base_url}/keys/mallory"
    return mallory


def follow_of(world: World, actor: PeerActor, n: int = 1) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}/follows/{n}",
        "type": "Follow",
        "actor": actor.uri,
        "object": world.union.uri,
    }


async def followers(world: World) -> int:
    async with world.instance.svc.db.reader() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Follow).where(Follow.followed_id == world.union.id)
            )
            or 0
        )


async def test_a_blocked_servers_actor_cannot_speak_through_a_key_elsewhere(world: World) -> None:
    mallory = key_elsewhere(world)
    await resolve_actor(world.instance.svc, mallory.uri)  # known from before the block
    await world.block(world.bad)

    status = await world.post(follow_of(world, mallory), mallory)

    assert status == 403
    assert await followers(world) == 0


async def test_a_blocked_servers_actor_cannot_read_signed_only_collections(world: World) -> None:
    mallory = key_elsewhere(world)
    await resolve_actor(world.instance.svc, mallory.uri)
    await world.block(world.bad)
    url = f"{world.instance.base_url}/actors/union/outbox"

    headers = sign_request(mallory.signing_key, "GET", url, None, datetime.now(UTC))
    response = await world.instance.http.get("/actors/union/outbox", headers={**AS, **headers})

    assert response.status_code == 403


async def test_a_key_elsewhere_counts_only_when_its_owner_names_it(world: World) -> None:
    honest = world.bad.add_actor("honest")
    honest.key_id = f"{world.good.base_url}/keys/honest"
    liar = world.bad.add_actor("liar")  # its document names its own key, not this one
    stolen = f"{world.good.base_url}/keys/liar"
    for actor, key_id in ((honest, honest.key_id), (liar, stolen)):
        world.good.serve(
            key_id.removeprefix(world.good.base_url),
            {
                "@context": "https://w3id.org/security/v1",
                "id": key_id,
                "owner": actor.uri,
                "publicKeyPem": actor.document(world.bad.base_url)["publicKey"]["publicKeyPem"],
            },
        )
    liar_signing = PeerActor("liar", liar.uri, stolen, liar.private_key)

    assert await world.post(follow_of(world, honest), honest) == 202
    assert await world.post(follow_of(world, liar), liar_signing) == 401


async def test_policy_is_checked_again_in_the_worker(world: World) -> None:
    eve = world.bad.add_actor("eve")
    assert await world.post(follow_of(world, eve), eve) == 202

    await world.block(world.bad)  # between intake and processing
    await inbox_worker(world.instance.svc).run_once()

    async with world.instance.svc.db.reader() as session:
        row = await session.scalar(select(ReceivedActivity))
    assert row is not None
    assert row.state == "ignored"
    assert await followers(world) == 0


async def test_a_boost_of_a_blocked_servers_post_is_refused_at_the_door(world: World) -> None:
    eve = world.bad.add_actor("eve")
    alice = world.good.add_actor("alice")
    await world.block(world.bad)

    status = await world.post(activity(alice, "Announce", f"{eve.uri}/notes/1"), alice)

    assert status == 403


async def test_blocking_a_domain_ends_its_relationships_and_tells_it(world: World) -> None:
    svc = world.instance.svc
    eve = world.bad.add_actor("eve")
    assert await world.post(follow_of(world, eve), eve) == 202
    await inbox_worker(svc).run_once()
    remote_eve = await resolve_actor(svc, eve.uri)
    ours = await follow(svc, world.union, remote_eve)
    async with svc.db.transaction() as session:  # something still queued for it
        await enqueue(
            session,
            svc,
            world.union,
            {"type": "Create", "actor": world.union.uri, "object": f"{world.union.uri}/n"},
            [f"{eve.uri}/inbox"],
        )
    world.bad.requests.clear()

    outcome = await block_domain(svc, world.bad.host)
    await DeliveryWorker(svc).run_once()

    kinds = sorted(r.json()["type"] for r in world.bad.deliveries())
    assert kinds == ["Reject", "Undo"]  # told, and nothing else sent
    assert (outcome.followers_removed, outcome.follows_ended) == (1, 1)
    assert outcome.deliveries_cancelled >= 1
    assert await followers(world) == 0
    async with svc.db.reader() as session:
        left = await session.scalar(select(func.count()).select_from(Follow))
        pending = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.state == DeliveryState.pending)
        )
    assert left == 0
    assert pending == 0
    assert ours.activity_uri in [r.json()["object"]["id"] for r in world.bad.deliveries()]


async def test_a_delivery_queued_before_allowlist_mode_is_never_sent_off_the_list(
    world: World,
) -> None:
    svc = world.instance.svc
    bob = world.good.add_actor("bob")
    async with svc.db.transaction() as session:  # queued by a process without the setting
        await enqueue(
            session,
            svc,
            world.union,
            {"type": "Follow", "actor": world.union.uri, "object": bob.uri},
            [f"{bob.uri}/inbox"],
        )
        await set_meta(session, "allowlist_mode", "on")  # the server's mode, in the database
    forget_rules(svc)

    await DeliveryWorker(svc).run_once()

    assert world.good.deliveries() == []
    async with svc.db.reader() as session:
        row = await session.scalar(select(Delivery))
    assert row is not None
    assert row.state == DeliveryState.failed
    assert "allowlist" in (row.last_error or "")


async def test_allowlist_mode_is_recorded_and_a_disagreeing_process_refuses_to_start(
    tmp_path: Path,
) -> None:
    async with asgi_instance(tmp_path, name="on", allowlist_mode=True) as first:
        async with first.svc.db.reader() as session:
            assert await get_meta(session, "allowlist_mode") == "on"
        async with first.svc.db.transaction() as session:
            await set_meta(session, "allowlist_mode", "off")  # turned off in the desk
        from dataclasses import replace

        from hambastegi.wiring import instance_services

        async with instance_services(replace(first.settings, allowlist_mode=True)) as svc:
            with pytest.raises(StartupError, match="ALLOWLIST_MODE"):
                await prepare_instance(svc)


async def test_following_is_still_possible_with_everyone_else(world: World) -> None:
    await world.block(world.bad)
    alice = world.good.add_actor("alice")

    assert await world.post(follow_of(world, alice), alice) == 202
    await inbox_worker(world.instance.svc).run_once()

    async with world.instance.svc.db.reader() as session:
        state = await session.scalar(select(Follow.state))
    assert state in (FollowState.accepted, FollowState.pending)
