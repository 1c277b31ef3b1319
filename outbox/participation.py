"""Taking part in our events, as Mobilizon and Gancio do it: a `Join` of the event is
answered with `Accept` (or waits for an editor when the event needs approval, or waits on the
list when it is full), `Leave` (or Undo of the Join) frees the place for the next on the list,
and `Reject` says no. Participants receive the event's updates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, delivery_inbox
from federation.vocab import JsonObject
from outbox.compose import PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.kinds import EventDetails, details_from_json
from outbox.models import EventParticipant, ParticipantState, Post
from runtime.services import Services


def _settings(post: Post) -> EventDetails:
    details = details_from_json(post.kind, post.details)
    if not isinstance(details, EventDetails):
        raise PostError("only events have participants")
    return details


async def counts(session: AsyncSession, post_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(EventParticipant.state, func.count())
        .where(EventParticipant.post_id == post_id)
        .group_by(EventParticipant.state)
    )
    found = {str(state): int(n) for state, n in rows}
    return {state.value: found.get(state.value, 0) for state in ParticipantState}


async def participants(session: AsyncSession, post_id: int) -> list[tuple[EventParticipant, Actor]]:
    rows = await session.execute(
        select(EventParticipant, Actor)
        .join(Actor, Actor.id == EventParticipant.actor_id)
        .where(EventParticipant.post_id == post_id)
        .order_by(EventParticipant.id)
    )
    return [(p, a) for p, a in rows]


async def participant_inboxes(session: AsyncSession, post_id: int) -> list[str]:
    rows = await session.execute(
        select(Actor.shared_inbox_uri, Actor.inbox_uri)
        .join(EventParticipant, EventParticipant.actor_id == Actor.id)
        .where(
            EventParticipant.post_id == post_id,
            EventParticipant.state == ParticipantState.accepted,
            Actor.kind == "remote",
        )
    )
    return sorted({i for shared, inbox in rows if (i := delivery_inbox(shared, inbox))})


async def _answer(
    session: AsyncSession,
    svc: Services,
    post: Post,
    participant: EventParticipant,
    who: Actor,
    kind: str,
) -> None:
    """Accept or Reject of their Join, from the organisation, to their inbox."""
    organiser = await session.get(Actor, post.actor_id)
    inbox = delivery_inbox(who.shared_inbox_uri, who.inbox_uri)
    if organiser is None or not inbox or who.is_local:
        return
    join: Any = participant.join_activity or {
        "type": "Join",
        "actor": who.uri,
        "object": post.uri,
    }
    document: JsonObject = {
        "id": new_activity_uri(svc.uris),
        "type": kind,
        "actor": organiser.uri,
        "object": {k: v for k, v in join.items() if k != "@context"},
        "to": [who.uri],
    }
    await enqueue(session, svc, organiser, document, [inbox])


async def join(
    session: AsyncSession, svc: Services, post: Post, who: Actor, activity: JsonObject
) -> EventParticipant:
    """Record a Join and answer it: accepted (Accept) if there is room and no approval is
    needed; else pending (an editor decides) or waiting (the list, in order)."""
    details = _settings(post)
    found = await session.scalar(
        select(EventParticipant).where(
            EventParticipant.post_id == post.id, EventParticipant.actor_id == who.id
        )
    )
    if found is not None:
        if found.state == ParticipantState.accepted:
            await _answer(session, svc, post, found, who, "Accept")  # they asked again
        return found
    taken = (await counts(session, post.id))[ParticipantState.accepted.value]
    if details.approval:
        state = ParticipantState.pending
    elif details.capacity and taken >= details.capacity:
        state = ParticipantState.waiting
    else:
        state = ParticipantState.accepted
    row = EventParticipant(
        post_id=post.id,
        actor_id=who.id,
        state=state,
        join_activity=dict(activity),
        created_at=svc.clock.now(),
    )
    session.add(row)
    await session.flush()
    if state == ParticipantState.accepted:
        await _answer(session, svc, post, row, who, "Accept")
    return row


async def leave(session: AsyncSession, svc: Services, post: Post, who: Actor) -> bool:
    """They will not come: the place goes to the first on the waiting list (Accepted)."""
    found = await session.scalar(
        select(EventParticipant).where(
            EventParticipant.post_id == post.id, EventParticipant.actor_id == who.id
        )
    )
    if found is None:
        return False
    freed = found.state == ParticipantState.accepted
    await session.delete(found)
    await session.flush()
    if freed:
        await _promote(session, svc, post)
    return True


async def _promote(session: AsyncSession, svc: Services, post: Post) -> None:
    details = _settings(post)
    taken = (await counts(session, post.id))[ParticipantState.accepted.value]
    if details.capacity and taken >= details.capacity:
        return
    first = await session.scalar(
        select(EventParticipant)
        .where(
            EventParticipant.post_id == post.id,
            EventParticipant.state == ParticipantState.waiting,
        )
        .order_by(EventParticipant.id)
        .limit(1)
    )
    if first is None:
        return
    first.state = ParticipantState.accepted
    who = await session.get(Actor, first.actor_id)
    if who is not None:
        await _answer(session, svc, post, first, who, "Accept")


async def decide(svc: Services, participant_id: int, *, approve: bool) -> EventParticipant:
    """An editor's answer to a pending participant: Accept (or the waiting list when the event
    is full by then), or Reject (and the row goes)."""
    async with svc.db.transaction() as session:
        row = await session.get(EventParticipant, participant_id)
        if row is None or row.state != ParticipantState.pending:
            raise PostError("no participant waiting for an answer")
        post = await session.get(Post, row.post_id)
        who = await session.get(Actor, row.actor_id)
        if post is None or who is None:
            raise PostError("the event or the participant is gone")
        if not approve:
            await _answer(session, svc, post, row, who, "Reject")
            await session.delete(row)
            return row
        details = _settings(post)
        taken = (await counts(session, post.id))[ParticipantState.accepted.value]
        if details.capacity and taken >= details.capacity:
            row.state = ParticipantState.waiting
        else:
            row.state = ParticipantState.accepted
            await _answer(session, svc, post, row, who, "Accept")
        return row
