"""Update: an actor's new profile or key, or a new version of a post we keep (the layers
above hear of it)."""

from __future__ import annotations

from sqlalchemy import select

from actors.resolver import resolve_actor, store_remote_actor
from actors.verification import forget_key
from federation.documents import Activity, parse_actor, parse_object
from federation.errors import InvalidDocument
from federation.vocab import ACTOR_TYPES
from inbox.context import Ignored, InboxContext
from inbox.models import RemoteObject
from inbox.objects import fetch_object, keep_object


async def handle_update(ctx: InboxContext, activity: Activity) -> None:
    embedded = activity.embedded_object
    if activity.object_uri == activity.actor_uri:
        await update_actor(ctx, activity)
        return
    if embedded is not None and embedded.get("type") in ACTOR_TYPES:
        raise Ignored("an actor can only update itself")
    await update_object(ctx, activity)


async def update_object(ctx: InboxContext, activity: Activity) -> None:
    """A new version of a remote post we keep, from its author only."""
    if activity.object_uri is None:
        raise Ignored("Update names no object")
    async with ctx.svc.db.reader() as session:
        known = await session.scalar(
            select(RemoteObject).where(RemoteObject.uri == activity.object_uri)
        )
    if known is None:
        raise Ignored("an update of a post we do not keep")
    author = await ctx.actor(activity.actor_uri)
    if known.actor_id != author.id:
        raise Ignored("only its author can update a post")
    embedded = activity.embedded_object
    try:
        data = (
            parse_object(embedded)
            if embedded and len(embedded) > 2
            else await fetch_object(ctx.svc, known.uri)
        )
    except InvalidDocument as exc:
        raise Ignored(f"malformed object in Update: {exc}") from exc
    if data.attributed_to != author.uri:
        raise Ignored("only its author can update a post")
    async with ctx.effect() as session:
        await keep_object(session, ctx.svc, data, author)
        await ctx.hooks.updated(session, ctx.svc, known.uri, activity)


async def update_actor(ctx: InboxContext, activity: Activity) -> None:
    embedded = activity.embedded_object
    old = await ctx.actor(activity.actor_uri)
    forget_key(ctx.svc, old.key_id)
    if embedded is None or len(embedded) <= 2:
        await resolve_actor(ctx.svc, activity.actor_uri, refresh=True)  # only a reference: refetch
        return
    try:
        data = parse_actor(embedded)
    except InvalidDocument as exc:
        raise Ignored(f"malformed actor in Update: {exc}") from exc
    async with ctx.effect() as session:
        await store_remote_actor(session, ctx.svc, data, embedded)
