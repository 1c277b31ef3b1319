"""Follow: someone asks to follow one of our actors."""

from __future__ import annotations

from actors.directory import find_by_uri
from actors.models import Actor, ActorKind, Follow, FollowState
from federation.documents import Activity
from inbox.context import Ignored, InboxContext
from inbox.hooks import claimed
from outbox.follows import accept_follow, find_follow


async def handle_follow(ctx: InboxContext, activity: Activity) -> None:
    """Record the request; accept it at once unless the actor approves followers by hand.
    (A layer above may claim it first: a relay subscription.)"""
    if await claimed(ctx.hooks.follow_received, ctx, activity):
        return
    if activity.object_uri is None or not ctx.svc.uris.is_ours(activity.object_uri):
        raise Ignored("the follow is not addressed to one of our actors")
    async with ctx.svc.db.reader() as session:
        target = await find_by_uri(session, activity.object_uri)
    if target is None or target.kind in (ActorKind.instance, ActorKind.remote) or target.deleted_at:
        raise Ignored(f"no actor {activity.object_uri} here to follow")
    follower = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        target_row = await session.get(Actor, target.id)
        follower_row = await session.get(Actor, follower.id)
        if target_row is None or follower_row is None:
            raise Ignored("the actor disappeared")
        target, follower = target_row, follower_row
        row = await find_follow(session, follower, target)
        if row is None:
            row = Follow(
                follower_id=follower.id,
                followed_id=target.id,
                state=FollowState.pending,
                created_at=ctx.svc.clock.now(),
            )
            session.add(row)
        row.activity_uri = activity.uri
        await session.flush()
        if row.state == FollowState.accepted or not target.manually_approves_followers:
            await accept_follow(session, ctx.svc, row, follower, target)
        else:
            row.state = FollowState.pending
