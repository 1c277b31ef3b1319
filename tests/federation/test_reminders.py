"""The monthly meeting seen from another server: an organisation there follows ours; the
reminder before the meeting arrives there as a reply in the event's thread, once; cancelling
the next meeting later arrives as an Update of the event whose text names the one after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from actors.models import Follow, FollowState
from actors.resolver import resolve_handle
from inbox.models import RemoteObject
from outbox.compose import Draft
from outbox.follows import follow
from outbox.kinds import PostKind
from outbox.posts import create_post, edit_post
from outbox.reminders import send_reminders
from tests.factories import make_actor
from tests.harness import Instance, eventually, served_instance

pytestmark = pytest.mark.federation

STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def kept(instance: Instance, uri: str) -> list[RemoteObject]:
    async with instance.svc.db.reader() as session:
        rows = await session.scalars(
            select(RemoteObject).where(
                (RemoteObject.uri == uri) | (RemoteObject.in_reply_to_uri == uri)
            )
        )
        return list(rows)


async def accepted(instance: Instance) -> list[Follow]:
    async with instance.svc.db.reader() as session:
        rows = await session.scalars(select(Follow).where(Follow.state == FollowState.accepted))
        return list(rows)


async def test_the_reminder_and_a_cancellation_arrive_on_a_followers_server(
    tmp_path: Path,
) -> None:
    async with (
        served_instance(tmp_path, name="organiser") as here,
        served_instance(tmp_path, name="follower") as there,
    ):
        union = await make_actor(here.svc, "union", language="en")
        teachers = await make_actor(there.svc, "teachers")
        await follow(there.svc, teachers, await resolve_handle(there.svc, f"union@{here.host}"))
        await eventually(lambda: accepted(there), until=lambda rows: len(rows) == 1)
        # Weekly, the first meeting in two days: a reminder 72 hours ahead is due now.
        first = (datetime.now(UTC) + timedelta(days=2)).astimezone(STOCKHOLM)
        details = {
            "starts_at": first.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Stockholm",
            "location": "Online",
            "recurrence": "FREQ=WEEKLY",
            "reminder_hours": 72,
        }
        event = await create_post(
            here.svc,
            union,
            Draft(
                kind=PostKind.event,
                language="en",
                title="Weekly meeting",
                body="Reports from the workplaces.",
                details=details,
            ),
        )
        await eventually(lambda: kept(there, event.uri), until=lambda rows: len(rows) == 1)

        assert await send_reminders(here.svc) == 1
        assert await send_reminders(here.svc) == 0  # once per meeting

        rows = await eventually(lambda: kept(there, event.uri), until=lambda rows: len(rows) == 2)
        [reminder] = [r for r in rows if r.in_reply_to_uri == event.uri]
        assert "Reminder: Weekly meeting" in reminder.content_html

        second = first + timedelta(days=7)
        await edit_post(
            here.svc,
            event.public_id,
            Draft(
                kind=PostKind.event,
                language="en",
                title="Weekly meeting",
                body="Reports from the workplaces.",
                details={**details, "cancelled": [first.date().isoformat()]},
            ),
        )

        def names_the_next(rows: list[RemoteObject]) -> bool:
            copy = next(r for r in rows if r.uri == event.uri)
            return copy.updated_at is not None

        rows = await eventually(lambda: kept(there, event.uri), until=names_the_next)
        copy = next(r for r in rows if r.uri == event.uri)
        text = copy.summary + copy.content_html
        assert f"{second:%B} {second.day}," in text, text
        assert f"{first:%B} {first.day}, {first.year}" not in copy.summary
