"""Reports out: our moderators report an account on another server, with one of its posts;
that server's moderators receive the Flag from our instance actor (never the moderator), with
the comment. Bad reports are refused with a reason and send nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from actors.models import Actor
from inbox.models import Report
from outbox.compose import Draft, PostError
from outbox.kinds import PostKind
from outbox.models import OutboxActivity
from outbox.posts import create_post
from outbox.reports import send_report
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation


async def reports(instance: Instance) -> list[tuple[Report, Actor]]:
    async with instance.svc.db.reader() as session:
        rows = await session.execute(
            select(Report, Actor).join(Actor, Actor.id == Report.reporter_id)
        )
        return [(r, a) for r, a in rows]


async def test_a_report_reaches_the_other_servers_moderators_from_our_instance(
    pair: tuple[Instance, Instance],
) -> None:
    here, there = pair
    spammer = await make_actor(there.svc, "spammer")
    post = await create_post(
        there.svc, spammer, Draft(kind=PostKind.note, body="buy now", language="en")
    )

    await send_report(
        here.svc, f"spammer@{there.host}", "Spam aimed at striking workers", [post.uri]
    )

    found = await eventually(lambda: reports(there), until=lambda r: len(r) == 1)
    report, reporter = found[0]
    assert report.object_uris == [spammer.uri, post.uri]
    assert report.content == "Spam aimed at striking workers"
    assert reporter.uri == f"{here.base_url}/actor"  # the instance, not a person
    assert reporter.kind == "remote"


async def test_bad_reports_are_refused_and_send_nothing(pair: tuple[Instance, Instance]) -> None:
    here, there = pair
    await make_actor(there.svc, "someone")
    ours = await make_actor(here.svc, "union")

    with pytest.raises(PostError, match="on this server"):
        await send_report(here.svc, ours.uri, "x")
    with pytest.raises(PostError, match="not on"):
        await send_report(
            here.svc, f"someone@{there.host}", "x", [f"{here.base_url}/objects/elsewhere"]
        )
    with pytest.raises(PostError, match="longer than"):
        await send_report(here.svc, f"someone@{there.host}", "x" * 1001)
    async with here.svc.db.reader() as session:
        flags = await session.scalar(
            select(func.count()).select_from(OutboxActivity).where(OutboxActivity.type == "Flag")
        )
    assert flags == 0
