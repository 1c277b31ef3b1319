"""Taking part in an event as Mobilizon does: a Join is answered with an Accept whose object is
the Join; past the capacity, a waiting list; a Leave (or Undo of the Join) gives the place to
the next one, who gets an Accept; an event needing approval waits for an editor; the public
page shows counts, never who attends unless the event says so; participants get updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from actors.models import Actor
from hambastegi.workers import inbox_worker
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import EventParticipant, Post
from outbox.participation import decide
from outbox.posts import create_post, edit_post
from outbox.worker import DeliveryWorker
from tests.integration.inbox_support import Scene, scene
from tests.peer import PeerActor

pytestmark = pytest.mark.db

DETAILS = {
    "starts_at": "2027-05-01T10:00",
    "ends_at": "2027-05-02T18:00",
    "timezone": "Europe/Istanbul",
    "location": "Istanbul",
}


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path) as sc:
        yield sc


async def conference(s: Scene, **settings: Any) -> Post:
    async with s.instance.svc.db.reader() as session:
        union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
    assert union is not None
    return await create_post(
        s.instance.svc,
        union,
        Draft(
            kind=PostKind.event,
            language="en",
            title="Yearly conference",
            body="Labour activists of the region.",
            details={**DETAILS, **settings},
        ),
    )


def join(actor: PeerActor, event: Post, n: str = "1") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor.uri}/join/{n}",
        "type": "Join",
        "actor": actor.uri,
        "object": event.uri,
        "participationMessage": "I will come",
    }


async def settle(s: Scene) -> None:
    await inbox_worker(s.instance.svc).run_once()
    await DeliveryWorker(s.instance.svc).run_once()


def answers(s: Scene, actor: PeerActor) -> list[dict[str, Any]]:
    found = []
    for received in s.peer.deliveries():
        document = orjson.loads(received.body)
        if document.get("type") in ("Accept", "Reject") and document.get("to") == [actor.uri]:
            found.append(document)
    return found


async def states(s: Scene) -> dict[str, str]:
    async with s.instance.svc.db.reader() as session:
        rows = await session.execute(
            select(Actor.username, EventParticipant.state).join(
                Actor, Actor.id == EventParticipant.actor_id
            )
        )
        return {name: str(state) for name, state in rows}


async def test_join_is_accepted_and_a_full_event_keeps_a_waiting_list(s: Scene) -> None:
    event = await conference(s, capacity=1)
    bob = s.peer.add_actor("bob")

    assert (await s.post_signed(join(s.alice, event))).status_code == 202
    assert (await s.post_signed(join(bob, event), actor=bob)).status_code == 202
    await settle(s)

    assert await states(s) == {"alice": "accepted", "bob": "waiting"}
    [accept] = answers(s, s.alice)
    assert accept["type"] == "Accept"
    assert accept["object"]["id"] == f"{s.alice.uri}/join/1"  # Mobilizon matches it by id
    assert answers(s, bob) == []
    page = await s.instance.http.get(
        f"/objects/{event.public_id}", headers={"Accept-Language": "en"}
    )
    assert "1 attending" in page.text
    assert "1 on the waiting list" in page.text
    assert "Alice" not in page.text  # who attends is not public

    leave = {
        "id": f"{s.alice.uri}/leave/1",
        "type": "Leave",
        "actor": s.alice.uri,
        "object": event.uri,
    }
    assert (await s.post_signed(leave)).status_code == 202
    await settle(s)

    assert await states(s) == {"bob": "accepted"}
    assert [a["type"] for a in answers(s, bob)] == ["Accept"]


async def test_undo_of_a_join_frees_the_place(s: Scene) -> None:
    event = await conference(s)
    await s.post_signed(join(s.alice, event))
    await settle(s)

    undo = {
        "id": f"{s.alice.uri}/undo/1",
        "type": "Undo",
        "actor": s.alice.uri,
        "object": join(s.alice, event),
    }
    await s.post_signed(undo)
    await settle(s)

    assert await states(s) == {}


async def test_an_event_needing_approval_waits_for_an_editor(s: Scene) -> None:
    event = await conference(s, approval=True, participants_public=True)
    bob = s.peer.add_actor("bob")
    await s.post_signed(join(s.alice, event))
    await s.post_signed(join(bob, event), actor=bob)
    await settle(s)
    assert await states(s) == {"alice": "pending", "bob": "pending"}
    assert answers(s, s.alice) == []

    async with s.instance.svc.db.reader() as session:
        rows = {
            name: pid
            for name, pid in await session.execute(
                select(Actor.username, EventParticipant.id).join(
                    Actor, Actor.id == EventParticipant.actor_id
                )
            )
        }
    await decide(s.instance.svc, rows["alice"], approve=True)
    await decide(s.instance.svc, rows["bob"], approve=False)
    await settle(s)

    assert await states(s) == {"alice": "accepted"}
    assert [a["type"] for a in answers(s, s.alice)] == ["Accept"]
    assert [a["type"] for a in answers(s, bob)] == ["Reject"]
    page = await s.instance.http.get(
        f"/objects/{event.public_id}", headers={"Accept-Language": "en"}
    )
    assert "Alice" in page.text  # this event shows who attends


async def test_participants_receive_the_events_updates(s: Scene) -> None:
    event = await conference(s)
    await s.post_signed(join(s.alice, event))
    await settle(s)
    before = len(s.peer.deliveries())

    await edit_post(
        s.instance.svc,
        event.public_id,
        Draft(
            kind=PostKind.event,
            language="en",
            title="Yearly conference",
            body="Now in a bigger hall.",
            details={**DETAILS, "location": "Istanbul, the bigger hall"},
        ),
    )
    await settle(s)

    updates = [
        orjson.loads(r.body)
        for r in s.peer.deliveries()[before:]
        if orjson.loads(r.body).get("type") == "Update"
    ]
    assert [u["object"]["id"] for u in updates] == [event.uri]


async def test_joins_of_what_is_not_an_event_are_ignored(s: Scene) -> None:
    async with s.instance.svc.db.reader() as session:
        union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
    assert union is not None
    note = await create_post(
        s.instance.svc, union, Draft(kind=PostKind.note, body="x", language="en")
    )
    await s.post_signed(join(s.alice, note))
    await s.post_signed({**join(s.alice, note, "2"), "object": "http://127.0.0.1:9/events/1"})
    await settle(s)

    assert await states(s) == {}
