"""Move: an account moved (with `alsoKnownAs` on the new one pointing back). Our actors that
followed the old account follow the new one and leave the old; the layers above move what
they hold (memberships)."""

from __future__ import annotations

from sqlalchemy import select

from actors.models import Actor, ActorKind, Follow
from actors.resolver import ResolveError, resolve_actor
from federation.documents import Activity
from federation.vocab import get_id
from inbox.context import Ignored, InboxContext
from outbox.follows import follow as follow_actor


async def handle_move(ctx: InboxContext, activity: Activity) -> None:
    old_uri = activity.object_uri
    new_uri = get_id(activity.document.get("target"))
    if old_uri != activity.actor_uri or new_uri is None:
        raise Ignored("only an account can move itself, to a target")
    try:
        new = await resolve_actor(ctx.svc, new_uri, refresh=True)
    except ResolveError as exc:
        raise Ignored(f"cannot resolve the new account: {exc}") from exc
    if old_uri not in new.also_known_as:
        raise Ignored("the new account does not name the old one in alsoKnownAs")
    old = await ctx.actor(old_uri)
    async with ctx.svc.db.reader() as session:
        followers = list(
            await session.scalars(
                select(Actor)
                .join(Follow, Follow.follower_id == Actor.id)
                .where(Follow.followed_id == old.id, Actor.kind != ActorKind.remote)
            )
        )
    for follower in followers:
        await follow_actor(ctx.svc, follower, new)
    async with ctx.effect() as session:
        moved = await session.get(Actor, old.id)
        if moved is not None:
            moved.moved_to_uri = new.uri
        for follower in followers:
            row = await session.scalar(
                select(Follow).where(
                    Follow.follower_id == follower.id, Follow.followed_id == old.id
                )
            )
            if row is not None:
                await session.delete(row)
        await ctx.hooks.moved(session, ctx.svc, old, new)
