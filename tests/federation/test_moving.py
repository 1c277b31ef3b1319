"""Moving an organisation to its own server, across two real instances: the new account names
the old one (alsoKnownAs), the old one moves (Move to its followers), and the followers'
server follows the new account instead; the old account points at the new one and can no
longer publish. A move to an account that does not name the old one is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actors.models import Actor, Follow, FollowState
from actors.resolver import resolve_actor, resolve_handle
from outbox.compose import Draft, PostError
from outbox.follows import follow
from outbox.kinds import PostKind
from outbox.moves import move_actor, set_aliases
from outbox.posts import create_post
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation


async def followed_by(instance: Instance, follower_uri: str) -> list[str]:
    async with instance.svc.db.reader() as session:
        rows = await session.execute(
            select(Actor.uri)
            .join(Follow, Follow.followed_id == Actor.id)
            .where(
                Follow.follower_id
                == select(Actor.id).where(Actor.uri == follower_uri).scalar_subquery(),
                Follow.state == FollowState.accepted,
            )
        )
        return sorted(uri for (uri,) in rows)


async def test_an_organisation_moves_to_its_own_server_and_its_followers_follow(
    pair: tuple[Instance, Instance],
) -> None:
    here, there = pair
    union = await make_actor(here.svc, "union")
    reader = await make_actor(there.svc, "reader")
    new_home = await make_actor(there.svc, "union_new")
    await follow(there.svc, reader, await resolve_handle(there.svc, f"union@{here.host}"))
    assert await eventually(
        lambda: followed_by(there, reader.uri), until=lambda f: f == [union.uri]
    ) == [union.uri]

    with pytest.raises(PostError, match="alsoKnownAs"):
        await move_actor(here.svc, "union", f"union_new@{there.host}")
    await set_aliases(there.svc, "union_new", [f"union@{here.host}"])
    moved = await move_actor(here.svc, "union", f"union_new@{there.host}")

    assert moved.moved_to_uri == new_home.uri
    assert await eventually(
        lambda: followed_by(there, reader.uri), until=lambda f: f == [new_home.uri]
    ) == [new_home.uri]
    document = (
        await here.http.get(union.uri, headers={"Accept": "application/activity+json"})
    ).json()
    assert document["movedTo"] == new_home.uri
    seen_there = await resolve_actor(there.svc, union.uri, refresh=True)
    assert seen_there.moved_to_uri == new_home.uri
    with pytest.raises(PostError, match="has moved"):
        await create_post(here.svc, moved, Draft(kind=PostKind.note, body="x", language="en"))
