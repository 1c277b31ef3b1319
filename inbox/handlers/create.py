"""Create: a reply to one of our posts, or a post mentioning one of our actors, is kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from federation.documents import Activity, RemoteObjectData, parse_object
from federation.errors import InvalidDocument
from inbox.context import Ignored, InboxContext
from inbox.objects import fetch_object, store_object
from outbox.models import Post, PostState


async def object_of(ctx: InboxContext, activity: Activity) -> RemoteObjectData:
    """The created object: the embedded copy (its origin was checked at the inbox), or fetched."""
    embedded = activity.embedded_object
    try:
        if embedded is not None and len(embedded) > 2:
            return parse_object(embedded)
        if activity.object_uri is None:
            raise Ignored("Create names no object")
        return await fetch_object(ctx.svc, activity.object_uri)
    except InvalidDocument as exc:
        raise Ignored(f"not a post we can keep: {exc}") from exc


async def concerns_us(
    ctx: InboxContext, data: RemoteObjectData, session: AsyncSession | None = None
) -> bool:
    """A reply to one of our published posts, or a mention of / address to one of our actors
    (in `session` when the caller has one open)."""
    if session is None:
        async with ctx.svc.db.reader() as own:
            return await concerns_us(ctx, data, own)
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
            select(Actor.id).where(Actor.uri.in_(named), Actor.kind != "remote")
        )
        return ours is not None
    return False


async def handle_create(ctx: InboxContext, activity: Activity) -> None:
    data = await object_of(ctx, activity)
    if data.attributed_to != activity.actor_uri:
        raise Ignored("the object is attributed to someone else")
    if not await concerns_us(ctx, data):
        raise Ignored("neither a reply to our posts nor a mention of our actors")
    author = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        await store_object(session, ctx.svc, data, author)
