"""Reminders before each meeting, and a repeating event that keeps saying when the next one
is. The scheduler calls `send_reminders`: for each published event with `reminder_hours`,
an occurrence starting within that many hours gets one reply in the event's thread (Mastodon
shows it in context); a repeating event whose last meeting has ended since it was composed is
composed again, so its federated text names the next one (an Update)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from outbox.compose import Draft, PostError
from outbox.fields_html import event_when
from outbox.kinds import EventDetails, PostKind, details_from_json
from outbox.models import EventReminder, Post, PostState
from outbox.posts import create_post, edit_post
from outbox.recurrence import Occurrence
from runtime.services import Services

log = logging.getLogger(__name__)
LOOKAHEAD = 20  # occurrences examined per event and pass


def _series(d: EventDetails) -> list[Occurrence]:
    found = []
    for occurrence in d.occurrences():
        found.append(occurrence)
        if len(found) >= 500:
            break
    return found


async def events_to_check(session: AsyncSession, now: datetime) -> list[Post]:
    """The published events a pass must look at: each repeating one, and each one-off event
    with a reminder that has not long begun. A one-off event that began days ago needs nothing
    more (unless its meeting was moved), so a network's years of past events are not read
    every minute. Start times are compared as ISO text, with two days to spare for the time
    zone offsets written in them."""
    recurring = func.coalesce(Post.details["recurrence"].as_string(), "") != ""
    recently = (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    return list(
        await session.scalars(
            select(Post).where(
                Post.kind == PostKind.event,
                Post.state == PostState.published,
                or_(
                    recurring,
                    and_(
                        Post.details["reminder_hours"].as_integer() > 0,
                        or_(
                            Post.details["starts_at"].as_string() >= recently,
                            func.coalesce(Post.details["moved"].as_string(), "{}").not_in(
                                ["{}", ""]
                            ),
                        ),
                    ),
                ),
            )
        )
    )


async def send_reminders(svc: Services) -> int:
    """One pass; returns how many reminders were posted."""
    now = svc.clock.now()
    async with svc.db.reader() as session:
        events = await events_to_check(session, now)
    sent = 0
    for post in events:
        details = details_from_json(post.kind, post.details)
        if not isinstance(details, EventDetails):
            continue
        series = _series(details)
        if details.recurrence:
            await _refresh_next(svc, post, details, series)
        if details.reminder_hours <= 0:
            continue
        ahead = timedelta(hours=details.reminder_hours)
        for occurrence in series:
            if occurrence.starts <= now:
                continue
            if occurrence.starts - ahead > now:
                break
            if not occurrence.cancelled and await _remind(svc, post, details, occurrence.starts):
                sent += 1
    return sent


async def _remind(svc: Services, post: Post, details: EventDetails, starts: datetime) -> bool:
    try:
        async with svc.db.transaction() as session:
            claim = EventReminder(post_id=post.id, occurrence=starts, created_at=svc.clock.now())
            session.add(claim)
            await session.flush()
            claim_id = claim.id
            author = await session.get(Actor, post.actor_id)
    except IntegrityError:
        return False  # this occurrence was reminded already
    if author is None:
        return False
    gettext = svc.catalogs.get(post.language).gettext
    when = event_when(
        EventDetails(
            starts_at=starts.isoformat(),
            ends_at=None,
            timezone=details.timezone,
            location=details.location,
            online_url=details.online_url,
        ),
        post.language,
    )
    where = details.online_url or details.location
    body = gettext("Reminder: %(title)s, %(when)s.") % {"title": post.title, "when": when}
    if where:
        body += f"\n\n{where}"
    try:
        reply = await create_post(
            svc,
            author,
            Draft(
                kind=PostKind.note,
                body=body,
                language=post.language,
                visibility=post.visibility,
                in_reply_to=post.uri,
            ),
        )
    except PostError:
        log.warning("could not post the reminder of %s", post.uri, exc_info=True)
        return False
    async with svc.db.transaction() as session:
        row = await session.get(EventReminder, claim_id)
        if row is not None:
            row.reply_post_id = reply.id
    return True


async def _refresh_next(
    svc: Services, post: Post, details: EventDetails, series: list[Occurrence]
) -> None:
    """Compose the event again once a meeting has ended since it was last composed."""
    now = svc.clock.now()
    composed_at = post.updated_at or post.published_at or post.created_at
    for occurrence in series:
        ends = occurrence.ends or occurrence.starts + timedelta(hours=2)
        if ends > now:
            return
        if ends > composed_at:
            break
    else:
        return
    try:
        await edit_post(
            svc,
            post.public_id,
            Draft(
                kind=PostKind.event,
                body=post.source,
                language=post.language,
                title=post.title,
                visibility=post.visibility,
                details=post.details,
                tags=tuple(post.hashtags),
                in_reply_to=post.in_reply_to_uri,
            ),
        )
    except PostError:
        log.warning("could not refresh the next meeting of %s", post.uri, exc_info=True)
