"""The inbox worker's two lanes: activities about what we know are processed many to a
transaction; one that needs the network waits for it in the slow lane, with the rest of its
actor's activities behind it, in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import OperationalError

from actors.models import Actor, Follow, FollowState
from federation.documents import Activity
from hambastegi.wiring import inbox_handlers, inbox_hooks
from hambastegi.workers import inbox_worker
from inbox.context import InboxContext
from inbox.models import ReceivedActivity, RemoteObject
from inbox.worker import InboxWorker
from tests.integration.inbox_support import Scene, scene
from tests.peer import PeerActor, activity


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path) as sc:
        yield sc


def mention(s: Scene, author: PeerActor, n: int) -> dict[str, Any]:
    return {
        "id": f"{author.uri}/notes/{n}",
        "type": "Note",
        "attributedTo": author.uri,
        "content": f"<p>Solidarity, number {n}</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [s.union_uri],
        "tag": [{"type": "Mention", "href": s.union_uri}],
    }


def unaddressed(s: Scene, n: int) -> dict[str, Any]:
    """A public post that names none of ours."""
    return {
        "id": f"{s.alice.uri}/notes/{n}",
        "type": "Note",
        "attributedTo": s.alice.uri,
        "content": f"<p>Elsewhere, number {n}</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{s.alice.uri}/followers"],
    }


def counting_savepoints(s: Scene) -> list[str]:
    sent: list[str] = []

    def _savepoint(*args: Any) -> None:
        if args[2].startswith("SAVEPOINT"):
            sent.append(args[2])

    db = s.instance.svc.db
    for engine in {db.write_engine, db.batch_engine}:
        event.listen(engine.sync_engine, "before_cursor_execute", _savepoint)
    return sent


def counting_commits(s: Scene) -> list[int]:
    commits = [0]

    def _count(_conn: object) -> None:
        commits[0] += 1

    db = s.instance.svc.db
    for engine in {db.write_engine, db.batch_engine}:
        event.listen(engine.sync_engine, "commit", _count)
    return commits


async def find_actor(s: Scene, uri: str) -> Actor:
    async with s.instance.svc.db.reader() as session:
        found = await session.scalar(select(Actor).where(Actor.uri == uri))
    assert found is not None
    return found


async def outcomes(s: Scene) -> list[tuple[str, str, str | None]]:
    async with s.instance.svc.db.reader() as session:
        rows = await session.execute(
            select(
                ReceivedActivity.activity_uri, ReceivedActivity.state, ReceivedActivity.error
            ).order_by(ReceivedActivity.id)
        )
        return [(uri or "", state, error) for uri, state, error in rows]


async def kept(s: Scene, uri: str) -> RemoteObject | None:
    async with s.instance.svc.db.reader() as session:
        found: RemoteObject | None = await session.scalar(
            select(RemoteObject).where(RemoteObject.uri == uri)
        )
        return found


async def test_a_burst_about_known_things_costs_far_fewer_commits_than_activities(
    s: Scene,
) -> None:
    for n in range(60):
        assert (await s.post_signed(activity(s.alice, "Create", mention(s, s.alice, n),
                                             suffix=str(n)))).status_code == 202  # fmt: skip
    commits = counting_commits(s)
    savepoints = counting_savepoints(s)

    worker = inbox_worker(s.instance.svc)
    worker.fast_lane_seconds = 60.0  # (by default a transaction stops taking more at 0.1 s)
    assert await worker.run_once() == 60

    assert {state for _uri, state, _e in await outcomes(s)} == {"processed"}
    for n in range(60):
        assert await kept(s, f"{s.alice.uri}/notes/{n}") is not None
    assert commits[0] == 3  # the claim, one fast-lane transaction, the claim that found none
    assert savepoints == []  # no activity failed, so none needed a savepoint of its own


async def test_an_activity_failing_after_it_wrote_leaves_nothing_and_the_others_count_once(
    s: Scene,
) -> None:
    """The fast lane runs activities without savepoints. The third Create here fails after
    its post was written: the lane's transaction rolls back whole and runs again with a
    savepoint per activity, so the failed one leaves no post and each other post is kept
    once, all in one committed transaction."""
    for n in range(5):
        await s.post_signed(activity(s.alice, "Create", mention(s, s.alice, n), suffix=str(n)))
    handlers = inbox_handlers()
    real_create = handlers["Create"]
    calls: list[str] = []

    async def create_then_fail_on_the_third(ctx: InboxContext, received: Activity) -> None:
        calls.append(received.uri)
        await real_create(ctx, received)
        if received.uri.endswith("/create-2"):
            raise RuntimeError("the handler broke after writing")

    handlers["Create"] = create_then_fail_on_the_third
    commits = counting_commits(s)
    savepoints = counting_savepoints(s)

    worker = InboxWorker(s.instance.svc, handlers, inbox_hooks())
    worker.fast_lane_seconds = 60.0
    assert await worker.run_once() == 5

    states = [(state, error) for _uri, state, error in await outcomes(s)]
    assert states[:2] == [("processed", None)] * 2
    assert states[2] == ("failed", "RuntimeError: the handler broke after writing")
    assert states[3:] == [("processed", None)] * 2
    assert await kept(s, f"{s.alice.uri}/notes/2") is None
    async with s.instance.svc.db.reader() as session:
        uris = list(await session.scalars(select(RemoteObject.uri).order_by(RemoteObject.uri)))
    assert uris == [f"{s.alice.uri}/notes/{n}" for n in (0, 1, 3, 4)]
    assert len(calls) == 3 + 5  # three until the failure, then all five again
    assert len(savepoints) >= 5  # the second run: one per activity (and one for the failure)
    assert commits[0] == 3  # the claim, the second run's transaction, the last claim


async def test_in_one_fast_lane_transaction_what_an_activity_changes_counts_for_the_next(
    s: Scene,
) -> None:
    """The fast lane keeps its answers about a sender for the batch (is it followed, is it a
    member). We follow Alice, so her first post is kept; then she rejects our follow (as
    Mastodon does when it removes a follower); her next post, in the same transaction, is no
    longer for us: the answer changed with the Reject."""
    union = await find_actor(s, s.union_uri)
    await s.post_signed(activity(s.alice, "Create", unaddressed(s, 1), suffix="1"))
    follow_uri = f"{s.union_uri}/follows/alice"
    async with s.instance.svc.db.transaction() as session:
        alice = await session.scalar(select(Actor).where(Actor.uri == s.alice.uri))
        assert alice is not None
        session.add(Follow(follower_id=union.id, followed_id=alice.id,
                           state=FollowState.accepted, activity_uri=follow_uri,
                           created_at=s.instance.svc.clock.now()))  # fmt: skip
    await s.post_signed(activity(s.alice, "Reject", follow_uri, suffix="reject"))
    await s.post_signed(activity(s.alice, "Create", unaddressed(s, 2), suffix="2"))
    commits = counting_commits(s)

    worker = inbox_worker(s.instance.svc)
    worker.fast_lane_seconds = 60.0
    assert await worker.run_once() == 3

    assert [(state, error) for _uri, state, error in await outcomes(s)] == [
        ("processed", None),
        ("processed", None),
        ("ignored", "not from a member or someone we follow, and not about us"),
    ]
    assert await kept(s, f"{s.alice.uri}/notes/1") is not None
    assert await kept(s, f"{s.alice.uri}/notes/2") is None
    assert commits[0] == 3  # the claim, all three in one fast-lane transaction, the last claim


async def test_new_posts_written_together_are_there_for_what_follows_in_the_same_batch(
    s: Scene,
) -> None:
    """The fast lane writes its new posts together, behind the activities that bring them.
    Whatever comes next in the batch sees them: Alice's post 1 is created and deleted, post 2
    created and edited, and post 0, which we held already, is refreshed in place."""
    await s.post_signed(activity(s.alice, "Create", mention(s, s.alice, 0), suffix="0"))
    assert await inbox_worker(s.instance.svc).run_once() == 1
    held = await kept(s, f"{s.alice.uri}/notes/0")
    assert held is not None

    edited = {**mention(s, s.alice, 0), "content": "<p>Solidarity, edited</p>"}
    second = {**mention(s, s.alice, 2), "content": "<p>Second thoughts</p>"}
    for kind, obj, suffix in [
        ("Create", edited, "0-again"),
        ("Create", mention(s, s.alice, 1), "1"),
        ("Delete", f"{s.alice.uri}/notes/1", "d1"),
        ("Create", mention(s, s.alice, 2), "2"),
        ("Update", second, "u2"),
    ]:
        assert (await s.post_signed(activity(s.alice, kind, obj, suffix=suffix))).status_code == 202
    commits = counting_commits(s)
    worker = inbox_worker(s.instance.svc)
    worker.fast_lane_seconds = 60.0
    assert await worker.run_once() == 5

    assert [state for _uri, state, _e in await outcomes(s)] == ["processed"] * 6
    refreshed = await kept(s, f"{s.alice.uri}/notes/0")
    assert refreshed is not None
    assert refreshed.id == held.id
    assert "edited" in refreshed.content_html
    gone = await kept(s, f"{s.alice.uri}/notes/1")
    assert gone is None or gone.deleted_at is not None
    changed = await kept(s, f"{s.alice.uri}/notes/2")
    assert changed is not None
    assert "Second thoughts" in changed.content_html
    assert commits[0] == 3  # the claim, one fast-lane transaction, the last claim


async def test_a_new_post_someone_else_stored_meanwhile_is_neither_lost_nor_doubled(
    s: Scene,
) -> None:
    """While the fast lane keeps its new posts back, the same post is stored by other means
    (here: written straight to the table in the middle of the batch). Writing them meets it:
    the transaction rolls back whole and runs again with a savepoint per activity."""
    for n in range(4):
        await s.post_signed(activity(s.alice, "Create", mention(s, s.alice, n), suffix=str(n)))
    handlers = inbox_handlers()
    real_create = handlers["Create"]
    alice = await find_actor(s, s.alice.uri)

    async def create_and_meanwhile(ctx: InboxContext, received: Activity) -> None:
        if received.uri.endswith("/create-1"):
            assert ctx.batch is not None
            connection = await ctx.batch.connection()
            await connection.execute(  # below the ORM: nothing is sent before it
                insert(RemoteObject).values(
                    uri=f"{s.alice.uri}/notes/3", actor_id=alice.id, type="Note",
                    content_html="<p>stored meanwhile</p>", received_at=ctx.svc.clock.now(),
                    published=ctx.svc.clock.now(),
                )
            )  # fmt: skip
        await real_create(ctx, received)

    handlers["Create"] = create_and_meanwhile
    worker = InboxWorker(s.instance.svc, handlers, inbox_hooks())
    worker.fast_lane_seconds = 60.0
    assert await worker.run_once() == 4

    assert [state for _uri, state, _e in await outcomes(s)] == ["processed"] * 4
    async with s.instance.svc.db.reader() as session:
        uris = list(await session.scalars(select(RemoteObject.uri).order_by(RemoteObject.uri)))
    assert uris == [f"{s.alice.uri}/notes/{n}" for n in range(4)]
    third = await kept(s, f"{s.alice.uri}/notes/3")
    assert third is not None
    assert "Solidarity, number 3" in third.content_html  # the activity's copy, refreshed


async def test_an_activity_that_needs_a_fetch_waits_with_its_actors_later_ones_in_order(
    s: Scene,
) -> None:
    """Alice's Create names its note only by id (it must be fetched), then she deletes the
    note. Bob's post, in the same batch, needs nothing. If the Delete ran before the slow
    Create, the note would come back to life; it must not."""
    bob = s.peer.add_actor("bob")
    note = mention(s, s.alice, 1)
    s.peer.serve("/users/alice/notes/1", {"@context": "https://www.w3.org/ns/activitystreams",
                                          **note})  # fmt: skip
    await s.post_signed(activity(s.alice, "Create", note["id"], suffix="c"))
    await s.post_signed(activity(bob, "Create", mention(s, bob, 7), suffix="b"), actor=bob)
    await s.post_signed(activity(s.alice, "Delete", note["id"], suffix="d"))

    assert await inbox_worker(s.instance.svc).run_once() == 3

    assert [state for _uri, state, _e in await outcomes(s)] == ["processed"] * 3
    assert len(s.peer.fetches("/users/alice/notes/1")) == 1  # fetched once, in the slow lane
    gone = await kept(s, note["id"])
    assert gone is None or gone.deleted_at is not None
    bobs = await kept(s, f"{bob.uri}/notes/7")
    assert bobs is not None
    assert bobs.deleted_at is None


async def test_when_a_fast_lane_transaction_fails_its_activities_are_done_again(
    s: Scene,
) -> None:
    """A database error in the middle of a fast-lane transaction rolls all of it back; every
    activity in it is then done again (with a savepoint each), so none is lost or doubled."""
    for n in range(5):
        await s.post_signed(activity(s.alice, "Create", mention(s, s.alice, n), suffix=str(n)))
    handlers = inbox_handlers()
    real_create = handlers["Create"]
    calls: list[str] = []

    async def create_failing_once(ctx: InboxContext, received: Activity) -> None:
        calls.append(received.uri)
        if len(calls) == 3:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        await real_create(ctx, received)

    handlers["Create"] = create_failing_once

    worker = InboxWorker(s.instance.svc, handlers, inbox_hooks())
    worker.fast_lane_seconds = 60.0  # all five in one transaction, however slow the machine
    assert await worker.run_once() == 5

    assert [state for _uri, state, _e in await outcomes(s)] == ["processed"] * 5
    for n in range(5):
        assert await kept(s, f"{s.alice.uri}/notes/{n}") is not None
    # three tries in the failed transaction, then each of the five once more
    assert len(calls) == 3 + 5
