"""`hambastegi demo` shows the real thing: every kind of post, a bulletin with its translations,
a monthly meeting still to come (repeating, with reminders), a conference with participants, a
co-signed statement, the network's name in the reader's language, and no text said twice."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli import demo
from outbox.kinds import PostKind
from outbox.models import EventParticipant, Post, Signature
from tests.harness import asgi_instance

pytestmark = pytest.mark.db


async def test_the_demo_network_shows_every_kind_translations_and_a_coming_meeting(
    tmp_path: Path,
) -> None:
    async with asgi_instance(tmp_path) as instance:
        await demo.seed(instance.svc)
        async with instance.svc.db.reader() as session:
            posts = list(await session.scalars(select(Post)))
        home_fa = (await instance.http.get("/", headers={"Accept-Language": "fa"})).text
        events = (await instance.http.get("/events", headers={"Accept-Language": "en"})).text
        now = instance.svc.clock.now()

    assert {p.kind for p in posts} >= {
        PostKind.note,
        PostKind.article,
        PostKind.strike,
        PostKind.event,
        PostKind.campaign,
    }
    by_id = {p.id: p for p in posts}
    bulletin_languages: dict[str, set[str]] = {}
    for p in posts:
        if p.translation_of_id and p.kind == PostKind.article:
            original = by_id[p.translation_of_id].language
            bulletin_languages.setdefault(original, set()).add(p.language)
    assert bulletin_languages == {"fa": {"en", "ar"}}
    meetings = [p for p in posts if p.kind == PostKind.event]
    assert all(datetime.fromisoformat(p.details["starts_at"]).date() > now.date() for p in meetings)
    assert "Monthly meeting of the network" in events
    assert "شبکهٔ همبستگی کارگری (نمونه)" in home_fa
    for post in posts:
        paragraphs = [line for line in post.source.split("\n") if line.strip()]
        assert len(paragraphs) == len(set(paragraphs)), post.title
    assert any(p.details.get("recurrence") and p.details.get("reminder_hours") for p in meetings)
    async with asgi_instance(tmp_path / "again") as again:
        await demo.seed(again.svc)
        async with again.svc.db.reader() as session:
            signatures = await session.scalar(select(func.count()).select_from(Signature))
            attending = await session.scalar(select(func.count()).select_from(EventParticipant))
    assert signatures == 2
    assert attending == 2
