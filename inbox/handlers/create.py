"""Create: a post we keep (see `inbox.acceptance` for which and why), with the post it
replies to when a reason asks for the whole thread; the layers above hear of it."""

from __future__ import annotations

from sqlalchemy import select

from actors.models import Actor
from core.uris import authority
from federation.documents import Activity, RemoteObjectData, parse_object
from federation.errors import FetchError, InvalidDocument
from inbox.acceptance import interests
from inbox.context import Ignored, InboxContext
from inbox.hooks import Arrival, KeptPost
from inbox.models import RemoteObject
from inbox.objects import fetch_object, keep_later, keep_object


async def object_of(ctx: InboxContext, activity: Activity) -> RemoteObjectData:
    """The created object: the embedded copy (its origin was checked at the inbox), or
    fetched; always fetched from its origin when a relay forwarded the Create."""
    if ctx.relayed_by is not None:  # never trust a relayed body
        if activity.object_uri is None:
            raise Ignored("relayed Create names no object")
        return await fetch_object(ctx.svc, activity.object_uri)
    embedded = activity.embedded_object
    try:
        if embedded is not None and len(embedded) > 2:
            return parse_object(embedded)
        if activity.object_uri is None:
            raise Ignored("Create names no object")
        return await fetch_object(ctx.svc, activity.object_uri)
    except InvalidDocument as exc:
        raise Ignored(f"not a post we can keep: {exc}") from exc


async def handle_create(ctx: InboxContext, activity: Activity) -> None:
    data = await object_of(ctx, activity)
    if data.attributed_to != activity.actor_uri:
        raise Ignored("the object is attributed to someone else")
    author = await ctx.actor(activity.actor_uri)
    reasons = await interests(ctx, Arrival("Create", author, ctx.recipient), data)
    if not reasons:
        raise Ignored("not from a member or someone we follow, and not about us")
    whole_thread = any(reason.whole_thread for reason in reasons)
    parent = await _own_thread_parent(ctx, data, author) if whole_thread else None
    async with ctx.effect() as session:
        if parent is not None:
            await keep_object(session, ctx.svc, parent, author)
        if not keep_later(ctx.svc, data, author):  # in the fast lane: written with others
            await keep_object(session, ctx.svc, data, author)
        kept = KeptPost(activity, data, author, tuple(reasons), ctx.relayed_by)
        await ctx.hooks.kept(session, ctx.svc, kept)


async def _own_thread_parent(
    ctx: InboxContext, data: RemoteObjectData, author: Actor
) -> RemoteObjectData | None:
    """An author replying to its own post we do not hold yet: fetch the post (from its
    origin) so the thread is known and the reply is judged as part of it."""
    parent_uri = data.in_reply_to
    if parent_uri is None or ctx.svc.uris.is_ours(parent_uri):
        return None
    if authority(parent_uri) != authority(author.uri):
        return None  # its own posts are on its own server: nothing elsewhere is fetched
    async with ctx.svc.db.reader() as session:
        held = await session.scalar(select(RemoteObject.id).where(RemoteObject.uri == parent_uri))
    if held is not None:
        return None
    try:
        parent = await fetch_object(ctx.svc, parent_uri)
    except FetchError as exc:
        if not exc.is_permanent:
            raise
        return None
    except InvalidDocument:
        return None
    return parent if parent.attributed_to == author.uri else None
