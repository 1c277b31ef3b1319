"""Follow use-cases: our actors following others, and answering others' follow requests."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, Follow, FollowState, delivery_inbox
from federation.vocab import JsonObject
from outbox.enqueue import enqueue, new_activity_uri
from runtime.services import Services


class FollowError(Exception):
    """A follow request that cannot be carried out; the message says why."""


def render_follow(uri: str, follower_uri: str, followed_uri: str) -> JsonObject:
    return {"id": uri, "type": "Follow", "actor": follower_uri, "object": followed_uri}


async def find_follow(session: AsyncSession, follower: Actor, followed: Actor) -> Follow | None:
    return await session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed.id)
    )


async def follow(svc: Services, actor: Actor, target: Actor) -> Follow:
    """`actor` (ours) follows `target`: directly when both are ours, else by a Follow activity."""
    if not actor.is_local:
        raise FollowError("only our own actors can follow")
    if actor.id == target.id:
        raise FollowError("an actor cannot follow itself")
    if target.deleted_at is not None:
        raise FollowError(f"{target.uri} has been deleted")
    async with svc.db.transaction() as session:
        existing = await find_follow(session, actor, target)
        if existing is not None and existing.state == FollowState.accepted:
            return existing
        now = svc.clock.now()
        row = existing or Follow(follower_id=actor.id, followed_id=target.id, created_at=now)
        if target.is_local:
            row.state = (
                FollowState.pending if target.manually_approves_followers else FollowState.accepted
            )
            row.accepted_at = None if row.state == FollowState.pending else now
        else:
            row.state = FollowState.pending
            row.activity_uri = new_activity_uri(svc.uris)
            document = render_follow(row.activity_uri, actor.uri, target.uri)
            await enqueue(session, svc, actor, document, [target.inbox_uri or ""])
        session.add(row)
        await session.flush()
        return row


async def unfollow(svc: Services, actor: Actor, target: Actor) -> bool:
    """Stop following; tell the other server with Undo(Follow). False if there was nothing."""
    async with svc.db.transaction() as session:
        existing = await find_follow(session, actor, target)
        if existing is None:
            return False
        if not target.is_local and existing.activity_uri:
            undo = {
                "type": "Undo",
                "actor": actor.uri,
                "object": render_follow(existing.activity_uri, actor.uri, target.uri),
            }
            await enqueue(session, svc, actor, undo, [target.inbox_uri or ""])
        await session.delete(existing)
        return True


async def accept_follow(
    session: AsyncSession, svc: Services, row: Follow, follower: Actor, followed: Actor
) -> None:
    """Accept a follow request (theirs of ours); answers with Accept when they are remote."""
    row.state = FollowState.accepted
    row.accepted_at = svc.clock.now()
    if not follower.is_local:
        await _answer(session, svc, "Accept", row, follower, followed)


async def reject_follow(
    session: AsyncSession, svc: Services, row: Follow, follower: Actor, followed: Actor
) -> None:
    """Refuse a request, or remove an existing follower: Reject(Follow), and the row goes."""
    if not follower.is_local:
        await _answer(session, svc, "Reject", row, follower, followed)
    await session.delete(row)


async def _answer(
    session: AsyncSession, svc: Services, kind: str, row: Follow, follower: Actor, followed: Actor
) -> None:
    follow_uri = row.activity_uri or f"{follower.uri}#follows/{followed.id}"
    document = {
        "type": kind,
        "actor": followed.uri,
        "object": render_follow(follow_uri, follower.uri, followed.uri),
    }
    await enqueue(session, svc, followed, document, [follower.inbox_uri or ""])


async def follower_inboxes(session: AsyncSession, actor: Actor) -> list[str]:
    """One inbox per server among `actor`'s accepted remote followers (shared inbox first)."""
    rows = await session.execute(
        select(Actor.shared_inbox_uri, Actor.inbox_uri)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(
            Follow.followed_id == actor.id,
            Follow.state == FollowState.accepted,
            Actor.kind == "remote",
            Actor.deleted_at.is_(None),
        )
    )
    return sorted({target for shared, inbox in rows if (target := delivery_inbox(shared, inbox))})


async def list_followers(
    session: AsyncSession, actor: Actor, *, state: FollowState | None = None
) -> list[tuple[Follow, Actor]]:
    query = (
        select(Follow, Actor)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == actor.id)
    )
    if state is not None:
        query = query.where(Follow.state == state)
    rows = await session.execute(query.order_by(Follow.id))
    return [(f, a) for f, a in rows]


async def list_following(session: AsyncSession, actor: Actor) -> list[tuple[Follow, Actor]]:
    rows = await session.execute(
        select(Follow, Actor)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Follow.follower_id == actor.id)
        .order_by(Follow.id)
    )
    return [(f, a) for f, a in rows]


async def find_follower(session: AsyncSession, actor: Actor, who: str) -> tuple[Follow, Actor]:
    """A follower (or requester) of `actor`, named by actor URI or `user@host` handle."""
    wanted = who.strip().removeprefix("@").lower()
    for row, follower in await list_followers(session, actor):
        if wanted in (follower.uri.lower(), f"{follower.username}@{follower.domain}".lower()):
            return row, follower
    raise FollowError(f"{who} does not follow {actor.handle} and has not asked to")
