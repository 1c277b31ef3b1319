"""What the workers do with stored activities, and how our answers reach the other server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpsig
import pytest
from sqlalchemy import select

from actors.models import Actor, Follow, FollowState
from core.clock import FrozenClock
from federation.keys import public_key_to_pem
from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity, ReceivedState
from outbox.follows import follow
from outbox.models import Delivery, DeliveryState
from outbox.worker import DeliveryWorker
from tests.integration.inbox_support import Scene, scene
from tests.peer import activity


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path) as sc:
        yield sc


async def process(s: Scene) -> None:
    await inbox_worker(s.instance.svc).run_once()
    await DeliveryWorker(s.instance.svc).run_once()


async def follows_of(s: Scene, followed_uri: str) -> list[tuple[str, str]]:
    async with s.instance.svc.db.reader() as session:
        rows = await session.execute(
            select(Actor.uri, Follow.state)
            .join(Follow, Follow.follower_id == Actor.id)
            .where(
                Follow.followed_id
                == select(Actor.id).where(Actor.uri == followed_uri).scalar_subquery()
            )
        )
        return [(uri, state) for uri, state in rows]


async def states(s: Scene) -> list[tuple[str, str, str | None]]:
    async with s.instance.svc.db.reader() as session:
        rows = await session.execute(
            select(ReceivedActivity.type, ReceivedActivity.state, ReceivedActivity.error).order_by(
                ReceivedActivity.id
            )
        )
        return [(t, st, e) for t, st, e in rows]


async def test_follow_is_accepted_and_the_accept_verifies_at_the_follower(s: Scene) -> None:
    await s.post_signed(s.follow())

    await process(s)

    assert await follows_of(s, s.union_uri) == [(s.alice.uri, "accepted")]
    delivered = s.peer.deliveries()
    assert [r.path for r in delivered] == ["/users/alice/inbox"]
    accept = delivered[0].json()
    assert accept["type"] == "Accept"
    assert accept["actor"] == s.union_uri
    assert accept["object"]["id"] == s.follow()["id"]
    union = (
        await s.instance.http.get("/actors/union", headers={"Accept": "application/activity+json"})
    ).json()
    verifier = httpsig.HeaderVerifier(
        delivered[0].headers,
        union["publicKey"]["publicKeyPem"],
        method="POST",
        path="/users/alice/inbox",
        sign_header="signature",
        required_headers=["(request-target)", "host", "date", "digest"],
    )
    assert verifier.verify()


async def test_follow_of_a_locked_actor_waits_for_approval(tmp_path: Path) -> None:
    async with scene(tmp_path) as s:
        async with s.instance.svc.db.transaction() as session:
            union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
            assert union is not None
            union.manually_approves_followers = True
        await s.post_signed(s.follow())

        await process(s)

        assert await follows_of(s, s.union_uri) == [(s.alice.uri, "pending")]
        assert s.peer.deliveries() == []


async def test_undo_of_a_follow_removes_the_follower(s: Scene) -> None:
    await s.post_signed(s.follow())
    await process(s)

    await s.post_signed(activity(s.alice, "Undo", s.follow()))
    await process(s)

    assert await follows_of(s, s.union_uri) == []
    assert [st for _, st, _ in await states(s)] == ["processed", "processed"]


async def test_undo_of_someone_elses_follow_changes_nothing(s: Scene) -> None:
    await s.post_signed(s.follow())
    await process(s)
    bob = s.peer.add_actor("bob")

    await s.post_signed(activity(bob, "Undo", s.follow()), actor=bob)
    await process(s)

    assert await follows_of(s, s.union_uri) == [(s.alice.uri, "accepted")]
    assert (await states(s))[-1][1] == "ignored"


async def test_accept_of_a_follow_we_never_sent_is_ignored(s: Scene) -> None:
    forged = {
        "id": f"{s.instance.base_url}/activities/never",
        "type": "Follow",
        "actor": s.union_uri,
        "object": s.alice.uri,
    }

    await s.post_signed(activity(s.alice, "Accept", forged))
    await process(s)

    assert (await states(s))[-1][:2] == ("Accept", "ignored")
    async with s.instance.svc.db.reader() as session:
        assert list(await session.scalars(select(Follow))) == []


async def test_accept_of_our_follow_by_its_target_completes_it(s: Scene) -> None:
    async with s.instance.svc.db.reader() as session:
        union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
    from actors.resolver import resolve_actor

    assert union is not None
    alice = await resolve_actor(s.instance.svc, s.alice.uri)
    row = await follow(s.instance.svc, union, alice)
    await process(s)
    sent = s.peer.deliveries()[-1].json()
    assert sent["type"] == "Follow"

    await s.post_signed(activity(s.alice, "Accept", sent))
    await process(s)

    async with s.instance.svc.db.reader() as session:
        assert (await session.get(Follow, row.id)).state == FollowState.accepted  # type: ignore[union-attr]


async def test_update_with_a_new_key_is_taken_and_used(s: Scene) -> None:
    await s.post_signed(s.follow("1"))
    await process(s)
    s.peer.rotate_key(s.alice)
    fetches = len(s.peer.fetches("/users/alice"))
    update = activity(s.alice, "Update", s.alice.document(s.peer.base_url))
    # The Update itself is signed with the new key: one refetch verifies it.
    assert (await s.post_signed(update)).status_code == 202
    await process(s)

    async with s.instance.svc.db.reader() as session:
        pem = await session.scalar(select(Actor.public_key_pem).where(Actor.uri == s.alice.uri))
    assert pem == public_key_to_pem(s.alice.private_key)
    assert (await s.post_signed(s.follow("2"))).status_code == 202
    assert len(s.peer.fetches("/users/alice")) == fetches + 1


async def test_an_actor_deleting_itself_loses_its_follows(s: Scene) -> None:
    await s.post_signed(s.follow())
    await process(s)

    await s.post_signed(activity(s.alice, "Delete", s.alice.uri))
    await process(s)

    assert await follows_of(s, s.union_uri) == []
    async with s.instance.svc.db.reader() as session:
        deleted = await session.scalar(select(Actor.deleted_at).where(Actor.uri == s.alice.uri))
    assert deleted is not None


async def test_a_block_ends_follows_between_the_two(s: Scene) -> None:
    await s.post_signed(s.follow())
    await process(s)

    await s.post_signed(activity(s.alice, "Block", s.union_uri))
    await process(s)

    assert await follows_of(s, s.union_uri) == []


async def test_unknown_types_are_recorded_and_ignored(s: Scene) -> None:
    await s.post_signed(activity(s.alice, "Dance", s.union_uri))
    await process(s)

    assert await states(s) == [
        ("Dance", "ignored", "Dance activities are recorded but not acted on")
    ]


async def test_a_row_left_by_a_dead_worker_is_taken_over_after_its_lease(s: Scene) -> None:
    await s.post_signed(s.follow())
    past = datetime.now(UTC) - timedelta(minutes=1)
    async with s.instance.svc.db.transaction() as session:
        row = await session.scalar(select(ReceivedActivity))
        assert row is not None
        row.lease, row.locked_until = "dead-worker", past  # a worker that claimed it and died

    await process(s)

    assert [st for _, st, _ in await states(s)] == [ReceivedState.processed]
    assert await follows_of(s, s.union_uri) == [(s.alice.uri, "accepted")]


# -- deliveries ----------------------------------------------------------------------------------


async def deliveries(s: Scene) -> list[tuple[str, int, int | None]]:
    async with s.instance.svc.db.reader() as session:
        rows = await session.execute(
            select(Delivery.state, Delivery.attempts, Delivery.last_status)
        )
        return [(st, a, code) for st, a, code in rows]


async def test_a_503_with_retry_after_then_202_ends_delivered_once(tmp_path: Path) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with scene(tmp_path, clock=clock) as s:
        await s.post_signed(s.follow(), now=clock.now())
        await inbox_worker(s.instance.svc).run_once()
        s.peer.serve("/users/alice/inbox", b"busy", status=503, content_type="text/plain")
        worker = DeliveryWorker(s.instance.svc)

        await worker.run_once()
        assert await deliveries(s) == [("pending", 1, 503)]
        await worker.run_once()  # not due yet: nothing is sent
        del s.peer.overrides["/users/alice/inbox"]
        clock.advance(timedelta(seconds=30))
        await worker.run_once()

        assert await deliveries(s) == [("delivered", 2, 202)]
        assert len(s.peer.deliveries()) == 2


async def test_a_permanent_refusal_is_not_retried(s: Scene) -> None:
    await s.post_signed(s.follow())
    s.peer.serve("/users/alice/inbox", b"no", status=403, content_type="text/plain")

    await process(s)

    assert await deliveries(s) == [("failed", 1, 403)]
    assert len(s.peer.deliveries()) == 1


async def test_a_410_from_a_followers_inbox_removes_the_follower(s: Scene) -> None:
    await s.post_signed(s.follow())
    await process(s)
    assert await follows_of(s, s.union_uri) == [(s.alice.uri, "accepted")]
    async with s.instance.svc.db.transaction() as session:
        union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
        alice = await session.scalar(select(Actor).where(Actor.uri == s.alice.uri))
        assert union is not None
        assert alice is not None
        alice.shared_inbox_uri = None
    s.peer.serve("/users/alice/inbox", b"gone", status=410, content_type="text/plain")
    from outbox.enqueue import enqueue

    async with s.instance.svc.db.transaction() as session:
        await enqueue(
            session,
            s.instance.svc,
            union,
            {"type": "Update", "actor": union.uri, "object": union.uri},
            [f"{s.alice.uri}/inbox"],
        )
    await DeliveryWorker(s.instance.svc).run_once()

    assert await follows_of(s, s.union_uri) == []
    assert DeliveryState.failed in [st for st, _, _ in await deliveries(s)]
