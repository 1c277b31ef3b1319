"""Forwarding a report: a server's moderators report one of our posts and, with it, the post
on a third server that ours answered. Our moderator forwards it; the third server's moderators
receive it from our instance actor (neither the first reporter nor our moderator is named),
naming the account and its post, with the report's words and our note. Once only."""

from __future__ import annotations

import pytest

from actors.directory import ensure_instance_actor
from inbox.forwarding import forward_report
from inbox.models import Report
from outbox.compose import Draft, PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.kinds import PostKind
from outbox.posts import create_post
from tests.factories import make_actor
from tests.federation.test_reports_out import reports
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation


async def flag_from(reporting: Instance, here: Instance, named: list[str], content: str) -> None:
    """The reporting server's instance actor sends a Flag naming `named` to `here`."""
    async with reporting.svc.db.transaction() as session:
        instance = await ensure_instance_actor(
            session, reporting.svc.uris, reporting.svc.clock, reporting.svc.settings.secret_key
        )
        flag = {
            "id": new_activity_uri(reporting.svc.uris),
            "type": "Flag",
            "actor": instance.uri,
            "object": named,
            "content": content,
        }
        await enqueue(session, reporting.svc, instance, flag, [f"{here.base_url}/inbox"])


async def test_a_report_received_here_is_forwarded_to_the_third_server(
    trio: tuple[Instance, Instance, Instance],
) -> None:
    reporting, here, third = trio
    spammer = await make_actor(third.svc, "spammer")
    theirs = await create_post(
        third.svc, spammer, Draft(kind=PostKind.note, body="scab wanted", language="en")
    )
    union = await make_actor(here.svc, "union")
    ours = await create_post(
        here.svc, union, Draft(kind=PostKind.note, body="a reply in the thread", language="en")
    )
    await flag_from(reporting, here, [ours.uri, theirs.uri], "Recruiting strike breakers")

    [(received, _)] = await eventually(lambda: reports(here), until=lambda r: len(r) == 1)
    assert received.object_uris == [ours.uri]
    assert received.other_uris == [theirs.uri]

    servers = await forward_report(here.svc, received.id, "Please look at this account")

    assert servers == [third.host]
    [(forwarded, reporter)] = await eventually(lambda: reports(third), until=lambda r: len(r) == 1)
    assert reporter.uri == f"{here.base_url}/actor"  # our instance, not the first reporter
    assert forwarded.object_uris == [spammer.uri, theirs.uri]
    assert forwarded.content == "Recruiting strike breakers\n\nPlease look at this account"
    with pytest.raises(PostError, match="forwarded already"):
        await forward_report(here.svc, received.id)
    async with here.svc.db.reader() as session:
        row = await session.get(Report, received.id)
    assert row is not None
    assert row.forwarded_to == [third.host]


async def test_a_report_naming_only_this_server_has_nothing_to_forward(
    pair: tuple[Instance, Instance],
) -> None:
    reporting, here = pair
    union = await make_actor(here.svc, "union")
    await flag_from(reporting, here, [union.uri], "x")
    [(received, _)] = await eventually(lambda: reports(here), until=lambda r: len(r) == 1)

    with pytest.raises(PostError, match="nothing on another server"):
        await forward_report(here.svc, received.id)
    with pytest.raises(PostError, match="no report"):
        await forward_report(here.svc, received.id + 100)
    with pytest.raises(PostError, match="longer than"):
        await forward_report(here.svc, received.id, "x" * 1001)
