"""The monthly meeting: a repeating event shows its next meetings (in the reader's language,
a cancelled one marked), its calendar carries the rule so calendar apps show each one (read
back with recurring-ical-events), a reminder goes out once before each meeting as a reply in
its thread, and after a meeting the federated event names the next one (an Update)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import func, select

from core.clock import FrozenClock
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import OutboxActivity, Post
from outbox.posts import create_post
from outbox.reminders import events_to_check, send_reminders
from tests.factories import make_actor
from tests.harness import Instance, asgi_instance

pytestmark = pytest.mark.db

CLOCK = FrozenClock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
async def meeting(tmp_path: Path) -> AsyncIterator[tuple[Instance, Post]]:
    CLOCK.set(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    async with asgi_instance(tmp_path, clock=CLOCK) as instance:
        union = await make_actor(instance.svc, "union", language="en")
        post = await create_post(
            instance.svc,
            union,
            Draft(
                kind=PostKind.event,
                language="en",
                title="Monthly meeting",
                body="Reports from the member unions.",
                details={
                    "starts_at": "2026-01-06T18:00",
                    "ends_at": "2026-01-06T20:00",
                    "timezone": "Europe/Stockholm",
                    "location": "Online",
                    "recurrence": "FREQ=MONTHLY;BYDAY=1TU",
                    "exceptions": ["2026-02-03"],
                    "cancelled": ["2026-03-03"],
                    "reminder_hours": 24,
                },
            ),
        )
        yield instance, post


async def count(instance: Instance, query: object) -> int:
    async with instance.svc.db.reader() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def test_the_page_and_the_federated_text_name_the_next_meetings(
    meeting: tuple[Instance, Post],
) -> None:
    instance, post = meeting

    page = (
        await instance.http.get(f"/objects/{post.public_id}", headers={"Accept-Language": "en"})
    ).text
    document = (
        await instance.http.get(post.uri, headers={"Accept": "application/activity+json"})
    ).json()
    events = (await instance.http.get("/events", headers={"Accept-Language": "en"})).text

    assert "Next meetings" in page
    assert page.count('<li class="cancelled">') == 1
    assert "2026-02-03" not in page  # left out
    assert "Repeats; next: Tuesday, January 6, 2026" in document["content"]
    assert "Monthly meeting" in events


async def test_calendar_apps_see_each_meeting(meeting: tuple[Instance, Post]) -> None:
    instance, post = meeting

    ics = await instance.http.get(f"/objects/{post.public_id}/event.ics")
    calendar = icalendar.Calendar.from_ical(ics.content)
    found = recurring_ical_events.of(calendar).between(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 30, tzinfo=UTC)
    )

    days = sorted(str(e["DTSTART"].dt.date()) for e in found)
    assert days == ["2026-01-06", "2026-03-03", "2026-04-07", "2026-05-05", "2026-06-02"]
    cancelled = [e for e in found if str(e.get("STATUS", "")) == "CANCELLED"]
    assert [str(e["DTSTART"].dt.date()) for e in cancelled] == ["2026-03-03"]
    assert {e["DTSTART"].dt.hour for e in found} == {18}  # local time, summer or winter


async def test_one_reminder_before_each_meeting_and_an_update_after_it(
    meeting: tuple[Instance, Post],
) -> None:
    instance, post = meeting
    replies = select(func.count()).select_from(Post).where(Post.in_reply_to_uri == post.uri)
    updates = (
        select(func.count())
        .select_from(OutboxActivity)
        .where(OutboxActivity.type == "Update", OutboxActivity.object_uri == post.uri)
    )

    assert await send_reminders(instance.svc) == 0  # five days ahead: too early
    CLOCK.set(datetime(2026, 1, 5, 18, 30, tzinfo=UTC))  # 23.5 hours before
    assert await send_reminders(instance.svc) == 1
    assert await send_reminders(instance.svc) == 0  # once per meeting
    assert await count(instance, replies) == 1
    async with instance.svc.db.reader() as session:
        reminder = await session.scalar(select(Post).where(Post.in_reply_to_uri == post.uri))
    assert reminder is not None
    assert "Reminder: Monthly meeting" in reminder.content_html

    CLOCK.set(datetime(2026, 1, 6, 21, 0, tzinfo=UTC))  # the meeting is over
    await send_reminders(instance.svc)
    assert await count(instance, updates) == 1
    async with instance.svc.db.reader() as session:
        fresh = await session.get(Post, post.id)
    assert fresh is not None
    assert "March 3" not in fresh.content_html
    assert "Tuesday, March 3, 2026" not in fresh.summary
    assert "April 7, 2026" in fresh.summary  # February left out, March cancelled

    CLOCK.set(datetime(2026, 3, 2, 18, 30, tzinfo=UTC) - timedelta(minutes=5))
    await send_reminders(instance.svc)
    assert await count(instance, replies) == 1  # no reminder for the cancelled meeting


async def test_a_pass_reads_repeating_events_and_coming_ones_never_the_years_past(
    meeting: tuple[Instance, Post],
) -> None:
    instance, _series = meeting
    union = await make_actor(instance.svc, "teachers", language="en")

    async def event(title: str, starts: str, reminder: int) -> None:
        details = {"starts_at": starts, "timezone": "Asia/Tehran", "location": "Online",
                   "reminder_hours": reminder}  # fmt: skip
        draft = Draft(kind=PostKind.event, language="en", title=title, body=".", details=details)
        await create_post(instance.svc, union, draft)

    await event("Last year's assembly", "2025-03-01T10:00", 24)
    await event("Yesterday's assembly", "2025-12-31T10:00", 24)  # begun: nothing left to do
    await event("Next week's assembly", "2026-01-08T10:00", 24)
    await event("Next month's march", "2026-02-01T10:00", 0)  # no reminder asked for

    async with instance.svc.db.reader() as session:
        titles = {post.title for post in await events_to_check(session, CLOCK.now())}
    assert titles == {"Monthly meeting", "Yesterday's assembly", "Next week's assembly"}
    assert await send_reminders(instance.svc) == 0  # none within its reminder yet
    CLOCK.set(datetime(2026, 1, 7, 9, 0, tzinfo=UTC))
    assert await send_reminders(instance.svc) == 1  # next week's, a day before
