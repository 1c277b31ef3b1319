"""Whether we keep a post someone offers us (a Create, or an Announce of someone's post): one
predicate for both, with the reasons, so that what is kept and why is decided in one place."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, Follow, FollowState
from actors.resolver import fresh_actors
from federation.documents import RemoteObjectData
from inbox.context import InboxContext
from inbox.hooks import Arrival, InboxHooks, Interest
from outbox.models import Post, PostState
from runtime.services import Services


async def interests(
    ctx: InboxContext, arrival: Arrival, post: RemoteObjectData | None
) -> list[Interest]:
    """Why we would keep it; empty if we would not. The first reasons found are enough: the
    layers above (a member's post), a relay we subscribe to having forwarded it, one of ours
    following the sender, and (for a Create, whose post is in hand) a reply to one of our
    posts or a mention of one of our actors. In the inbox worker's fast lane, what depends
    only on the sender is asked once per batch (`storage.memo`)."""
    async with ctx.svc.db.reader() as session:  # every question in one read
        memo = ctx.svc.db.memo()
        key = (arrival.via, arrival.sender.uri, arrival.recipient, ctx.relayed_by is not None)
        found: list[Interest] | None = memo.get(key) if memo is not None else None
        if found is None:
            found = await _sender_interests(ctx, arrival, session)
            if memo is not None:
                memo.put(key, found)
        if found:
            return list(found)
        if post is not None and await concerns_us(ctx, post, session):
            return [Interest("about-us")]
    return []


async def _sender_interests(
    ctx: InboxContext, arrival: Arrival, session: AsyncSession
) -> list[Interest]:
    found = await ctx.hooks.interests(session, ctx.svc, arrival)
    if found:
        return found
    if arrival.via == "Create" and ctx.relayed_by is not None:
        return [Interest("relayed")]
    memo = ctx.svc.db.memo()
    followed = memo.get(("followed", arrival.sender.uri)) if memo is not None else None
    if followed is None:
        followed = await follows(session, arrival.sender.uri)
    if followed:
        return [Interest("followed")]
    return []


async def prefetch_senders(
    session: AsyncSession, svc: Services, hooks: InboxHooks, actor_uris: list[str]
) -> None:
    """Warm the batch's memo for these senders, in a few reads for all of them: our copies of
    them (as `resolve_actor` would give them), whether one of ours follows each, and what the
    layers above want to know (`InboxHooks.prefetch`)."""
    memo = svc.db.memo()
    if memo is None:
        return
    senders = await fresh_actors(session, svc, actor_uris)
    if not senders:
        return
    followed = await followed_among(session, [actor.uri for actor in senders])
    for actor in senders:
        memo.put(("actor", actor.uri), actor)
        memo.put(("followed", actor.uri), actor.uri in followed)
    await hooks.prefetched(session, svc, senders)


async def follows(session: AsyncSession, actor_uri: str) -> bool:
    """Does one of ours follow this actor (an accepted follow)?"""
    found = await session.scalar(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Actor.uri == actor_uri, Follow.state == FollowState.accepted)
        .limit(1)
    )
    return found is not None


async def followed_among(session: AsyncSession, actor_uris: list[str]) -> set[str]:
    """Which of these actors one of ours follows (an accepted follow)."""
    found = await session.scalars(
        select(Actor.uri)
        .join(Follow, Follow.followed_id == Actor.id)
        .where(Actor.uri.in_(actor_uris), Follow.state == FollowState.accepted)
        .distinct()
    )
    return set(found)


async def concerns_us(ctx: InboxContext, data: RemoteObjectData, session: AsyncSession) -> bool:
    """A reply to one of our published posts, or a mention of / address to one of our actors."""
    uris = ctx.svc.uris
    if data.in_reply_to and uris.is_ours(data.in_reply_to):
        replied = await session.scalar(
            select(Post.id).where(Post.uri == data.in_reply_to, Post.state == PostState.published)
        )
        if replied is not None:
            return True
    named = tuple(sorted({u for u in (*data.mentions, *data.to, *data.cc) if uris.is_ours(u)}))
    if not named:
        return False
    memo = ctx.svc.db.memo()
    known: bool | None = memo.get(("names-ours", named)) if memo is not None else None
    if known is None:
        ours = await session.scalar(
            select(Actor.id).where(Actor.uri.in_(named), Actor.kind != "remote").limit(1)
        )
        known = ours is not None
        if memo is not None:
            memo.put(("names-ours", named), known)
    return known
