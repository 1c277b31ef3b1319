"""Whether we keep a post someone offers us (a Create, or an Announce of someone's post): one
predicate for both, with the reasons, so that what is kept and why is decided in one place."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, Follow, FollowState
from federation.documents import RemoteObjectData
from inbox.context import InboxContext
from inbox.hooks import Arrival, Interest
from outbox.models import Post, PostState


async def interests(
    ctx: InboxContext, arrival: Arrival, post: RemoteObjectData | None
) -> list[Interest]:
    """Why we would keep it; empty if we would not. The first reasons found are enough: the
    layers above (a member's post), a relay we subscribe to having forwarded it, one of ours
    following the sender, and (for a Create, whose post is in hand) a reply to one of our
    posts or a mention of one of our actors."""
    async with ctx.svc.db.reader() as session:  # every question in one read
        found = await ctx.hooks.interests(session, ctx.svc, arrival)
        if found:
            return found
        if arrival.via == "Create" and ctx.relayed_by is not None:
            return [Interest("relayed")]
        if await follows(session, arrival.sender.uri):
            return [Interest("followed")]
        if post is not None and await concerns_us(ctx, post, session):
            return [Interest("about-us")]
    return []


async def follows(session: AsyncSession, actor_uri: str) -> bool:
    """Does one of ours follow this actor (an accepted follow)?"""
    found = await session.scalar(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Actor.uri == actor_uri, Follow.state == FollowState.accepted)
        .limit(1)
    )
    return found is not None


async def concerns_us(ctx: InboxContext, data: RemoteObjectData, session: AsyncSession) -> bool:
    """A reply to one of our published posts, or a mention of / address to one of our actors."""
    uris = ctx.svc.uris
    if data.in_reply_to and uris.is_ours(data.in_reply_to):
        replied = await session.scalar(
            select(Post.id).where(Post.uri == data.in_reply_to, Post.state == PostState.published)
        )
        if replied is not None:
            return True
    named = [u for u in (*data.mentions, *data.to, *data.cc) if uris.is_ours(u)]
    if named:
        ours = await session.scalar(
            select(Actor.id).where(Actor.uri.in_(named), Actor.kind != "remote").limit(1)
        )
        return ours is not None
    return False
