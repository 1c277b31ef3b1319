"""Our organisations attend events elsewhere, between two real instances: a Join goes to the
event's organiser (and to nobody else); an event needing approval waits for its editors, whose
Accept (or Reject) comes back and shows in our desk; a Leave frees the place there."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import select

from actors.models import Actor
from cli import gatherings
from network.attending import attend, leave
from outbox.compose import Draft, PostError
from outbox.kinds import PostKind
from outbox.models import Attendance, EventParticipant, OutboxActivity, ParticipantState, Post
from outbox.participation import decide
from outbox.posts import create_post
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation


async def conference(instance: Instance, **settings: object) -> Post:
    organiser = await make_actor(instance.svc, "network", display_name="Solidarity network")
    return await create_post(
        instance.svc,
        organiser,
        Draft(
            kind=PostKind.event,
            language="en",
            title="Yearly conference of labour activists",
            body="Two days in Istanbul.",
            details={
                "starts_at": "2027-05-01T10:00",
                "ends_at": "2027-05-02T18:00",
                "timezone": "Europe/Istanbul",
                "location": "Istanbul",
                **settings,
            },
        ),
    )


async def participants(instance: Instance) -> list[EventParticipant]:
    async with instance.svc.db.reader() as session:
        return list(await session.scalars(select(EventParticipant)))


async def attendance(instance: Instance) -> Attendance | None:
    async with instance.svc.db.reader() as session:
        found: Attendance | None = await session.scalar(select(Attendance))
        return found


async def test_an_organisation_attends_an_event_elsewhere_once_approved_then_leaves(
    pair: tuple[Instance, Instance], capsys: pytest.CaptureFixture[str]
) -> None:
    here, there = pair
    union = await make_actor(here.svc, "union", display_name="Oil workers' union")
    event = await conference(there, approval=True)

    await gatherings.attend_command(here.svc, argparse.Namespace(actor="union", url=event.uri))
    [waiting] = await eventually(lambda: participants(there), until=lambda p: len(p) == 1)
    assert waiting.state == ParticipantState.pending
    pending = await attendance(here)
    assert pending is not None
    assert pending.state == "pending"
    assert pending.name == "Yearly conference of labour activists"
    assert pending.starts_at is not None
    assert pending.starts_at.isoformat().startswith("2027-05-01")
    async with here.svc.db.reader() as session:
        join = await session.scalar(select(OutboxActivity).where(OutboxActivity.type == "Join"))
    assert join is not None
    async with there.svc.db.reader() as session:
        organiser = await session.get(Actor, event.actor_id)
    assert organiser is not None
    assert join.document["to"] == [organiser.uri]  # the organiser alone
    assert "https://www.w3.org/ns/activitystreams#Public" not in str(join.document)

    await decide(there.svc, waiting.id, approve=True)
    accepted = await eventually(
        lambda: attendance(here), until=lambda a: a is not None and a.state == "accepted"
    )
    assert accepted is not None
    assert accepted.answered_at is not None
    await gatherings.attending_command(here.svc, argparse.Namespace(actor="union"))
    assert "accepted" in capsys.readouterr().out

    with pytest.raises(PostError, match="already"):
        await attend(here.svc, "union", event.uri)
    await leave(here.svc, "union", event.uri)
    await eventually(lambda: participants(there), until=lambda p: p == [])
    assert await attendance(here) is None
    with pytest.raises(PostError, match="has not said"):
        await leave(here.svc, "union", event.uri)
    assert union.uri  # the organisation, never a person, is who attends


async def test_a_declined_request_shows_as_declined(pair: tuple[Instance, Instance]) -> None:
    here, there = pair
    await make_actor(here.svc, "union")
    event = await conference(there, approval=True)

    await attend(here.svc, "union", event.uri)
    [waiting] = await eventually(lambda: participants(there), until=lambda p: len(p) == 1)
    await decide(there.svc, waiting.id, approve=False)

    declined = await eventually(
        lambda: attendance(here), until=lambda a: a is not None and a.state == "rejected"
    )
    assert declined is not None


async def test_an_open_event_accepts_at_once(pair: tuple[Instance, Instance]) -> None:
    here, there = pair
    await make_actor(here.svc, "union")
    event = await conference(there)

    await attend(here.svc, "union", event.uri)

    accepted = await eventually(
        lambda: attendance(here), until=lambda a: a is not None and a.state == "accepted"
    )
    assert accepted is not None
    [row] = await participants(there)
    assert row.state == ParticipantState.accepted


async def test_what_cannot_be_attended_is_refused_and_sends_nothing(
    pair: tuple[Instance, Instance],
) -> None:
    here, there = pair
    await make_actor(here.svc, "union")
    author = await make_actor(there.svc, "writer")
    note = await create_post(
        there.svc, author, Draft(kind=PostKind.note, body="hello", language="en")
    )
    ours = await conference(here)

    with pytest.raises(PostError, match="not an event"):
        await attend(here.svc, "union", note.uri)
    with pytest.raises(PostError, match="on this server"):
        await attend(here.svc, "union", ours.uri)
    with pytest.raises(PostError, match="address"):
        await attend(here.svc, "union", "the conference")
    async with here.svc.db.reader() as session:
        joins = list(
            await session.scalars(select(OutboxActivity).where(OutboxActivity.type == "Join"))
        )
    assert joins == []
