"""Block: a remote actor blocks one of ours; follows between them end (as Mastodon does)."""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select

from actors.models import Actor, Follow
from federation.documents import Activity
from inbox.context import Ignored, InboxContext


async def handle_block(ctx: InboxContext, activity: Activity) -> None:
    if activity.object_uri is None or not ctx.svc.uris.is_ours(activity.object_uri):
        raise Ignored("the block is not about one of our actors")
    blocker = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        blocked = await session.scalar(select(Actor.id).where(Actor.uri == activity.object_uri))
        if blocked is None:
            raise Ignored("no such actor here")
        await session.execute(
            delete(Follow).where(
                or_(
                    and_(Follow.follower_id == blocker.id, Follow.followed_id == blocked),
                    and_(Follow.follower_id == blocked, Follow.followed_id == blocker.id),
                )
            )
        )
