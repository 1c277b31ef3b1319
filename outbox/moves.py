"""Moving an organisation to another account (its own server, say), as Mastodon does: the new
account names the old one in `alsoKnownAs`; the old one points at the new (`movedTo`) and
sends `Move` to its followers, whose servers follow the new account instead. And the other
half: naming accounts this one was before (`alsoKnownAs`), so a move here is accepted."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from actors.directory import get_local
from actors.models import Actor, ActorKind, Follow
from actors.resolver import resolve_actor, resolve_handle
from federation.vocab import PUBLIC
from outbox.compose import PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.follows import follow, follower_inboxes
from outbox.profile import send_actor_update
from runtime.services import Services


async def _find(svc: Services, who: str) -> Actor:
    text = who.strip()
    if text.startswith(("http://", "https://")):
        return await resolve_actor(svc, text, refresh=True)
    found = await resolve_handle(svc, text.lstrip("@"))
    # Fresh: its aliases may have changed a moment ago (that is the point of moving).
    return found if found.is_local else await resolve_actor(svc, found.uri, refresh=True)


async def set_aliases(svc: Services, username: str, accounts: Sequence[str]) -> Actor:
    """The accounts this actor was before (`alsoKnownAs`); followers' servers get an Update."""
    found = [await _find(svc, who) for who in accounts]
    async with svc.db.transaction() as session:
        actor = await get_local(session, username)
        actor.also_known_as = [a.uri for a in found if a.uri != actor.uri]
        actor.updated_at = svc.clock.now()
        await session.flush()
        await send_actor_update(session, svc, actor)
        return actor


async def move_actor(svc: Services, username: str, target: str) -> Actor:
    """Move `username` to `target` (a handle or an actor URL). The target must already name
    this actor in its `alsoKnownAs`, or no server would follow the move."""
    new = await _find(svc, target)
    async with svc.db.reader() as session:
        old = await get_local(session, username)
    if old.kind not in (ActorKind.organization, ActorKind.network):
        raise PostError(f"{old.handle} cannot move")
    if new.id == old.id:
        raise PostError("an account cannot move to itself")
    if old.uri not in new.also_known_as:
        raise PostError(
            f"{new.uri} does not name {old.uri} among its aliases (alsoKnownAs): add it there "
            "first, then move"
        )
    async with svc.db.reader() as session:
        local_followers = list(
            await session.scalars(
                select(Actor)
                .join(Follow, Follow.follower_id == Actor.id)
                .where(Follow.followed_id == old.id, Actor.kind != ActorKind.remote)
            )
        )
    for follower in local_followers:  # our own actors follow along here, at once
        if follower.id != new.id:
            await follow(svc, follower, new)
    async with svc.db.transaction() as session:
        actor = await get_local(session, username)
        actor.moved_to_uri = new.uri
        actor.updated_at = svc.clock.now()
        for follower in local_followers:
            row = await session.scalar(
                select(Follow).where(
                    Follow.follower_id == follower.id, Follow.followed_id == actor.id
                )
            )
            if row is not None:
                await session.delete(row)
        await session.flush()
        await send_actor_update(session, svc, actor)
        move = {
            "id": new_activity_uri(svc.uris),
            "type": "Move",
            "actor": actor.uri,
            "object": actor.uri,
            "target": new.uri,
            "to": [actor.followers_uri, PUBLIC],
        }
        await enqueue(session, svc, actor, move, await follower_inboxes(session, actor))
        return actor
