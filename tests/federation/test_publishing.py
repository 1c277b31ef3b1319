"""Publishing across two real instances: B follows an organisation on A and receives each kind,
edits as Update, deletes as Delete (A's URL then answers 410), scheduled posts only on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from actors.models import Follow
from actors.resolver import resolve_handle
from inbox.models import ReceivedActivity
from outbox.compose import Draft
from outbox.follows import follow
from outbox.kinds import PostKind
from outbox.posts import create_post, delete_post, edit_post
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation
AS = {"Accept": "application/activity+json"}

KINDS: dict[PostKind, dict[str, Any]] = {
    PostKind.note: {"body": "News from the refinery"},
    PostKind.strike: {
        "body": "Week two",
        "details": {
            "country": "IQ",
            "workplace": "Basra refinery",
            "sector": "oil_gas",
            "start_date": "2026-05-03",
            "workers": 1200,
            "status": "ongoing",
        },
    },
    PostKind.article: {"body": "The bulletin. " * 50, "title": "Bulletin 7"},
    PostKind.event: {
        "body": "All welcome",
        "title": "Conference 2026",
        "details": {
            "starts_at": "2026-10-10T10:00",
            "timezone": "Asia/Beirut",
            "location": "Beirut",
        },
    },
    PostKind.campaign: {
        "body": "Free Ali",
        "details": {"person": "Ali K.", "country": "IR", "status": "sentenced"},
    },
}
EXPECTED_TYPE = {
    PostKind.note: "Note",
    PostKind.strike: "Note",
    PostKind.article: "Article",
    PostKind.event: "Event",
    PostKind.campaign: "Note",
}


async def received(instance: Instance, activity_type: str) -> list[dict[str, Any]]:
    async with instance.svc.db.reader() as session:
        rows = await session.scalars(
            select(ReceivedActivity.document)
            .where(ReceivedActivity.type == activity_type)
            .order_by(ReceivedActivity.id)
        )
        return list(rows)


async def followed_union(pair: tuple[Instance, Instance]) -> tuple[Any, Any]:
    home, reader_side = pair
    union = await make_actor(home.svc, "union")
    reader = await make_actor(reader_side.svc, "reader")
    target = await resolve_handle(reader_side.svc, f"union@{home.host}")
    await follow(reader_side.svc, reader, target)

    async def accepted() -> bool:
        async with home.svc.db.reader() as session:
            return bool(
                list(await session.scalars(select(Follow.state).where(Follow.state == "accepted")))
            )

    await eventually(accepted)
    return union, reader


async def test_each_kind_arrives_verified_with_its_type_and_fields(
    pair: tuple[Instance, Instance],
) -> None:
    home, reader_side = pair
    union, _ = await followed_union(pair)

    for kind, fields in KINDS.items():
        await create_post(home.svc, union, Draft(kind=kind, language="en", **fields))
    creates = await eventually(
        lambda: received(reader_side, "Create"), until=lambda c: len(c) == len(KINDS)
    )

    by_kind = {c["object"]["kind"]: c["object"] for c in creates}
    assert {k: o["type"] for k, o in by_kind.items()} == {
        k.value: t for k, t in EXPECTED_TYPE.items()
    }
    assert by_kind["strike"]["strike"]["workplace"] == "Basra refinery"
    assert by_kind["campaign"]["campaign"]["person"] == "Ali K."
    assert by_kind["event"]["startTime"] == "2026-10-10T10:00:00+03:00"
    assert by_kind["article"]["name"] == "Bulletin 7"
    assert all(c["actor"] == union.uri for c in creates)


async def test_edit_arrives_as_update_and_delete_as_delete_then_410(
    pair: tuple[Instance, Instance],
) -> None:
    home, reader_side = pair
    union, _ = await followed_union(pair)
    post = await create_post(
        home.svc, union, Draft(kind=PostKind.note, body="first", language="en")
    )
    await eventually(lambda: received(reader_side, "Create"))

    await edit_post(
        home.svc, post.public_id, Draft(kind=PostKind.note, body="second", language="en")
    )
    [update] = await eventually(lambda: received(reader_side, "Update"))
    await delete_post(home.svc, post.public_id)
    [deleted] = await eventually(lambda: received(reader_side, "Delete"))
    gone = await reader_side.svc.client.session.get(post.uri, headers=AS)

    assert update["object"]["content"] == "<p>second</p>"
    assert deleted["object"]["id"] == post.uri
    assert gone.status == 410


async def test_a_scheduled_post_is_federated_only_at_its_time(
    pair: tuple[Instance, Instance],
) -> None:
    home, reader_side = pair
    union, _ = await followed_union(pair)
    at = datetime.now(UTC) + timedelta(seconds=1.5)

    post = await create_post(
        home.svc, union, Draft(kind=PostKind.note, body="embargoed", language="en", publish_at=at)
    )
    early = await received(reader_side, "Create")
    [create] = await eventually(lambda: received(reader_side, "Create"))

    assert early == []
    assert create["object"]["id"] == post.uri
    assert datetime.fromisoformat(
        create["object"]["published"].replace("Z", "+00:00")
    ) >= at - timedelta(seconds=1)
