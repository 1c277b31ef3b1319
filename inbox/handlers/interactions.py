"""Like and Announce: of our posts, counted as `likes` and `shares` (and their Undo); an
Announce of someone else's post is a post offered to us, kept by the same rule as a Create."""

from __future__ import annotations

from sqlalchemy import delete, select

from actors.resolver import ResolveError, resolve_actor
from federation.documents import Activity
from inbox.acceptance import interests
from inbox.context import Ignored, InboxContext
from inbox.hooks import Arrival, KeptPost
from inbox.objects import fetch_object, keep_object
from outbox.models import Interaction, InteractionKind, Post, PostState, Visibility
from storage.database import insert_ignoring_duplicates


async def _record(ctx: InboxContext, activity: Activity, kind: InteractionKind) -> None:
    target = activity.object_uri
    if target is None or not ctx.svc.uris.is_ours(target):
        raise Ignored(f"{activity.type} of something that is not ours")
    async with ctx.svc.db.reader() as session:
        post = await session.scalar(select(Post).where(Post.uri == target))
    if post is None or post.state != PostState.published:
        raise Ignored(f"{activity.type} of a post we do not have")
    if kind == InteractionKind.announce and post.visibility == Visibility.followers:
        raise Ignored("followers-only posts cannot be boosted")
    actor = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        await session.execute(
            insert_ignoring_duplicates(
                ctx.svc.db, Interaction, "kind", "actor_id", "post_id"
            ).values(
                kind=kind,
                actor_id=actor.id,
                post_id=post.id,
                activity_uri=activity.uri,
                created_at=ctx.svc.clock.now(),
            )
        )


async def handle_like(ctx: InboxContext, activity: Activity) -> None:
    await _record(ctx, activity, InteractionKind.like)


async def handle_announce(ctx: InboxContext, activity: Activity) -> None:
    object_uri = activity.object_uri
    if object_uri is None:
        raise Ignored("Announce names no object")
    if ctx.svc.uris.is_ours(object_uri):
        await _record(ctx, activity, InteractionKind.announce)  # a boost of our post
        return
    announcer = await ctx.actor(activity.actor_uri)
    reasons = await interests(ctx, Arrival("Announce", announcer, ctx.recipient), None)
    if not reasons:
        raise Ignored("a boost by someone we do not follow")
    data = await fetch_object(ctx.svc, object_uri)  # the embedded copy, if any, is never trusted
    try:
        author = await resolve_actor(ctx.svc, data.attributed_to)
    except ResolveError as exc:
        raise Ignored(f"cannot resolve the author: {exc}") from exc
    async with ctx.effect() as session:
        await keep_object(session, ctx.svc, data, author)
        kept = KeptPost(activity, data, author, tuple(reasons), ctx.relayed_by)
        await ctx.hooks.kept(session, ctx.svc, kept)


async def undo_interaction(ctx: InboxContext, activity: Activity, inner_uri: str) -> None:
    actor = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        result = await session.execute(
            delete(Interaction).where(
                Interaction.activity_uri == inner_uri, Interaction.actor_id == actor.id
            )
        )
        if getattr(result, "rowcount", 0) == 0:
            inner = activity.embedded_object or {}
            target = inner.get("object") if isinstance(inner.get("object"), str) else None
            kind = {"Like": InteractionKind.like, "Announce": InteractionKind.announce}.get(
                str(inner.get("type"))
            )
            if target is None or kind is None:
                raise Ignored("nothing to undo")
            post_id = select(Post.id).where(Post.uri == target).scalar_subquery()
            await session.execute(
                delete(Interaction).where(
                    Interaction.actor_id == actor.id,
                    Interaction.kind == kind,
                    Interaction.post_id == post_id,
                )
            )
