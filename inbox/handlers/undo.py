"""Undo: someone takes back an earlier activity of theirs (a Follow, a Like, an Announce)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy import delete, select

from actors.models import Actor, Follow
from federation.documents import Activity
from federation.vocab import get_id
from inbox.context import Ignored, InboxContext
from inbox.hooks import claimed
from outbox.models import Interaction

UndoHandler = Callable[[InboxContext, Activity, str], Awaitable[None]]


async def undo_follow(ctx: InboxContext, activity: Activity, inner_uri: str) -> None:
    if await claimed(ctx.hooks.undo_follow_received, ctx, activity):  # a relay subscriber leaving
        return
    inner = activity.embedded_object or {}
    followed_uri = get_id(inner.get("object"))
    follower = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        by_activity = await session.scalar(
            select(Follow.id).where(
                Follow.activity_uri == inner_uri, Follow.follower_id == follower.id
            )
        )
        if by_activity is not None:
            await session.execute(delete(Follow).where(Follow.id == by_activity))
            return
        if followed_uri is None:
            raise Ignored("undo of a follow we do not know")
        followed = await session.scalar(select(Actor.id).where(Actor.uri == followed_uri))
        await session.execute(
            delete(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed)
        )


async def handle_undo(
    ctx: InboxContext, activity: Activity, *, handlers: Mapping[str, UndoHandler]
) -> None:
    """Route an Undo by the type of the activity it takes back."""
    inner = activity.embedded_object
    inner_uri = activity.object_uri
    if inner_uri is None:
        raise Ignored("undo names no activity")
    inner_type = inner.get("type") if inner is not None else None
    if inner is not None and get_id(inner.get("actor")) not in (None, activity.actor_uri):
        raise Ignored("cannot undo someone else's activity")
    if not isinstance(inner_type, str):
        inner_type = await _type_of_known(ctx, inner_uri)
    handler = handlers.get(inner_type or "")
    if handler is None:
        raise Ignored(f"nothing to undo for {inner_type or 'an unknown activity'}")
    await handler(ctx, activity, inner_uri)


async def _type_of_known(ctx: InboxContext, inner_uri: str) -> str | None:
    """The type of an activity we recorded, when an Undo names it only by id."""
    async with ctx.svc.db.reader() as session:
        if (
            await session.scalar(select(Follow.id).where(Follow.activity_uri == inner_uri))
            is not None
        ):
            return "Follow"
        kind = await session.scalar(
            select(Interaction.kind).where(Interaction.activity_uri == inner_uri)
        )
    return {"like": "Like", "announce": "Announce"}.get(kind or "")
