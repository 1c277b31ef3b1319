"""Join and Leave of our events (Mobilizon, Gancio, Friendica): someone will attend, or no
longer; an Undo of a Join is a Leave. The answer (Accept, or a place on the waiting list) is
`outbox.participation`'s."""

from __future__ import annotations

from sqlalchemy import select

from federation.documents import Activity
from federation.vocab import get_id
from inbox.context import Ignored, InboxContext
from outbox.kinds import PostKind
from outbox.models import Post, PostState, Visibility
from outbox.participation import join, leave


async def _event(ctx: InboxContext, uri: str | None) -> Post:
    if uri is None or not ctx.svc.uris.is_ours(uri):
        raise Ignored("not one of our events")
    async with ctx.svc.db.reader() as session:
        post = await session.scalar(select(Post).where(Post.uri == uri))
    if post is None or post.kind != PostKind.event or post.state != PostState.published:
        raise Ignored("not one of our events")
    if post.visibility == Visibility.followers:
        raise Ignored("a followers-only event takes no participants from outside")
    return post


async def handle_join(ctx: InboxContext, activity: Activity) -> None:
    post = await _event(ctx, activity.object_uri)
    who = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        await join(session, ctx.svc, post, who, dict(activity.document))


async def handle_leave(ctx: InboxContext, activity: Activity) -> None:
    post = await _event(ctx, activity.object_uri)
    who = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        await leave(session, ctx.svc, post, who)


async def undo_join(ctx: InboxContext, activity: Activity, inner_uri: str) -> None:
    """Undo(Join) is how some servers say they will not come after all."""
    inner = activity.embedded_object or {}
    target = get_id(inner.get("object"))
    if target is None:
        raise Ignored("the undone Join names no event")
    post = await _event(ctx, target)
    who = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        await leave(session, ctx.svc, post, who)
