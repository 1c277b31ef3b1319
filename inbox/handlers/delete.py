"""Delete: an actor deleting itself, or an author deleting a post we keep (a tombstone stays,
and the layers above hear of it)."""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from actors.models import Actor, Follow
from actors.verification import forget_key
from federation.documents import Activity
from inbox.context import Ignored, InboxContext
from inbox.models import RemoteObject


async def handle_delete(ctx: InboxContext, activity: Activity) -> None:
    if activity.object_uri == activity.actor_uri:
        await delete_actor(ctx, activity)
        return
    await delete_object(ctx, activity)


async def delete_object(ctx: InboxContext, activity: Activity) -> None:
    """A remote post we keep is deleted by its author: its content goes, a tombstone stays."""
    if activity.object_uri is None:
        raise Ignored("Delete names no object")
    async with ctx.effect() as session:
        row = await session.scalar(
            select(RemoteObject).where(RemoteObject.uri == activity.object_uri)
        )
        author = await session.scalar(select(Actor).where(Actor.uri == activity.actor_uri))
        if row is None or author is None:
            raise Ignored("a delete of a post we do not keep")
        if row.actor_id != author.id:
            raise Ignored("only its author can delete a post")
        row.deleted_at = ctx.svc.clock.now()
        row.content_html = ""
        row.summary = ""
        row.name = ""
        row.attachments = []
        await ctx.hooks.deleted(session, ctx.svc, row.uri, activity)


async def delete_actor(ctx: InboxContext, activity: Activity) -> None:
    async with ctx.effect() as session:
        actor = await session.scalar(select(Actor).where(Actor.uri == activity.actor_uri))
        if actor is None or actor.is_local:
            return
        actor.deleted_at = ctx.svc.clock.now()
        await session.execute(
            delete(Follow).where(
                or_(Follow.follower_id == actor.id, Follow.followed_id == actor.id)
            )
        )
        forget_key(ctx.svc, actor.key_id)
