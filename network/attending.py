"""Our organisations attend events elsewhere: the network's conference on Mobilizon, a union's
meeting on Gancio or another Hambastegi. The event is fetched from its origin through the safe
fetcher; a `Join` goes to its organiser (addressed to the organiser alone: who attends is never
made public by us); the organiser's `Accept` or `Reject` comes back to the inbox
(`inbox.handlers.accept`); a `Leave` says we will not come after all, as Mobilizon sends it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.directory import get_local
from actors.models import Actor, ActorKind, delivery_inbox
from actors.resolver import resolve_actor
from inbox.objects import fetch_object, keep_object
from outbox.compose import PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.models import Attendance, AttendanceState
from runtime.services import Services

EVENT_TYPES = {"Event"}


async def _attendee(session: AsyncSession, name: str) -> Actor:
    actor = await get_local(session, name)
    if actor.kind not in (ActorKind.organization, ActorKind.network):
        raise PostError(f"{actor.handle} is not an organisation")
    return actor


async def attend(svc: Services, actor_name: str, url: str) -> Attendance:
    """`actor_name` will attend the event at `url`: a Join to its organiser; pending until the
    organiser's server answers."""
    address = url.strip()
    if not address.startswith(("https://", "http://")):
        raise PostError("give the address (URL) of the event")
    if svc.uris.is_ours(address):
        raise PostError("that event is on this server: its page takes part directly")
    async with svc.db.reader() as session:
        attendee = await _attendee(session, actor_name)
    data = await fetch_object(svc, address)
    if data.type not in EVENT_TYPES:
        raise PostError(f"that is a {data.type}, not an event")
    if not data.is_public:
        raise PostError("only public events can be joined from here")
    organiser = await resolve_actor(svc, data.attributed_to)
    inbox = delivery_inbox(organiser.shared_inbox_uri, organiser.inbox_uri)
    if not inbox:
        raise PostError(f"{organiser.uri} has no inbox")
    async with svc.db.transaction() as session:
        await keep_object(session, svc, data, organiser)
        existing = await session.scalar(
            select(Attendance).where(
                Attendance.actor_id == attendee.id, Attendance.event_uri == data.uri
            )
        )
        if existing is not None:
            raise PostError(f"{attendee.handle} has already said it will attend ({existing.state})")
        join = {
            "id": new_activity_uri(svc.uris),
            "type": "Join",
            "actor": attendee.uri,
            "object": data.uri,
            "to": [organiser.uri],
        }
        row = Attendance(
            actor_id=attendee.id,
            event_uri=data.uri,
            join_uri=str(join["id"]),
            organiser_uri=organiser.uri,
            name=(data.name or "")[:500],
            starts_at=datetime.fromisoformat(data.start_time) if data.start_time else None,
            state=AttendanceState.pending,
            created_at=svc.clock.now(),
        )
        session.add(row)
        await enqueue(session, svc, attendee, join, [inbox], about=data.uri)
        await session.flush()
        return row


async def leave(svc: Services, actor_name: str, url: str) -> Attendance:
    """`actor_name` will not come after all (or withdraws its request): a Leave to the
    organiser, and the attendance is forgotten here."""
    async with svc.db.transaction() as session:
        attendee = await _attendee(session, actor_name)
        row = await session.scalar(
            select(Attendance).where(
                Attendance.actor_id == attendee.id, Attendance.event_uri == url.strip()
            )
        )
        if row is None:
            raise PostError(f"{attendee.handle} has not said it will attend that event")
        organiser = await session.scalar(select(Actor).where(Actor.uri == row.organiser_uri))
        inbox = (
            delivery_inbox(organiser.shared_inbox_uri, organiser.inbox_uri) if organiser else None
        )
        if organiser is not None and inbox:
            leave_activity = {
                "id": new_activity_uri(svc.uris),
                "type": "Leave",
                "actor": attendee.uri,
                "object": row.event_uri,
                "to": [organiser.uri],
            }
            await enqueue(session, svc, attendee, leave_activity, [inbox], about=row.event_uri)
        await session.delete(row)
        return row


async def attendances(
    session: AsyncSession, actor_ids: list[int]
) -> list[tuple[Attendance, Actor]]:
    """What our organisations (those given) attend, the soonest first."""
    rows = await session.execute(
        select(Attendance, Actor)
        .join(Actor, Actor.id == Attendance.actor_id)
        .where(Attendance.actor_id.in_(actor_ids))
        .order_by(Attendance.starts_at.asc().nulls_last(), Attendance.id)
    )
    return [(a, who) for a, who in rows]
