"""Following across two real instances: Follow, Accept, Undo, and follower approval."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actors.models import Actor, Follow, FollowState
from actors.resolver import resolve_handle
from cli.graph import followers_decide
from outbox.follows import follow, unfollow
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation


async def follow_states(instance: Instance, follower_uri: str, followed_uri: str) -> list[str]:
    async with instance.svc.db.reader() as session:
        follower = select(Actor.id).where(Actor.uri == follower_uri).scalar_subquery()
        followed = select(Actor.id).where(Actor.uri == followed_uri).scalar_subquery()
        rows = await session.scalars(
            select(Follow.state).where(
                Follow.follower_id == follower, Follow.followed_id == followed
            )
        )
        return list(rows)


async def test_follow_is_accepted_and_recorded_on_both_sides(
    pair: tuple[Instance, Instance],
) -> None:
    home, remote = pair
    alice = await make_actor(home.svc, "alice")
    union = await make_actor(remote.svc, "union")

    target = await resolve_handle(home.svc, f"union@{remote.host}")
    await follow(home.svc, alice, target)

    assert await eventually(lambda: follow_states(remote, alice.uri, union.uri)) == ["accepted"]
    assert await eventually(
        lambda: follow_states(home, alice.uri, union.uri), until=lambda s: s == ["accepted"]
    ) == ["accepted"]


async def test_undo_removes_the_follow_on_both_sides(pair: tuple[Instance, Instance]) -> None:
    home, remote = pair
    alice = await make_actor(home.svc, "alice")
    union = await make_actor(remote.svc, "union")
    target = await resolve_handle(home.svc, f"union@{remote.host}")
    await follow(home.svc, alice, target)
    await eventually(
        lambda: follow_states(home, alice.uri, union.uri), until=lambda s: s == ["accepted"]
    )

    await unfollow(home.svc, alice, target)

    assert (
        await eventually(
            lambda: follow_states(remote, alice.uri, union.uri), until=lambda s: s == []
        )
        == []
    )
    assert await follow_states(home, alice.uri, union.uri) == []


async def test_locked_actor_approves_followers_by_hand(pair: tuple[Instance, Instance]) -> None:
    home, remote = pair
    alice = await make_actor(home.svc, "alice")
    union = await make_actor(remote.svc, "union", locked=True)
    target = await resolve_handle(home.svc, f"union@{remote.host}")

    await follow(home.svc, alice, target)
    assert await eventually(lambda: follow_states(remote, alice.uri, union.uri)) == ["pending"]
    await followers_decide(remote.svc, "union", f"alice@{home.host}", "approve")

    assert await eventually(
        lambda: follow_states(home, alice.uri, union.uri),
        until=lambda s: s == [FollowState.accepted],
    ) == ["accepted"]
    assert await follow_states(remote, alice.uri, union.uri) == ["accepted"]


async def test_rejected_request_ends_the_follow_on_both_sides(
    pair: tuple[Instance, Instance],
) -> None:
    home, remote = pair
    alice = await make_actor(home.svc, "alice")
    union = await make_actor(remote.svc, "union", locked=True)
    target = await resolve_handle(home.svc, f"union@{remote.host}")
    await follow(home.svc, alice, target)
    await eventually(lambda: follow_states(remote, alice.uri, union.uri))

    await followers_decide(remote.svc, "union", alice.uri, "reject")

    assert (
        await eventually(lambda: follow_states(home, alice.uri, union.uri), until=lambda s: s == [])
        == []
    )
    assert await follow_states(remote, alice.uri, union.uri) == []
