"""Accept and Reject of a Follow one of our actors sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, Follow, FollowState
from federation.documents import Activity
from federation.vocab import get_id
from inbox.context import Ignored, InboxContext
from inbox.hooks import claimed


async def _our_follow(session: AsyncSession, activity: Activity) -> Follow:
    """The follow being answered: by its activity id, or by (our actor, the signer)."""
    signer = await session.scalar(select(Actor).where(Actor.uri == activity.actor_uri))
    if signer is None:
        raise Ignored("answer from an actor we never followed")
    row = None
    if activity.object_uri is not None:
        row = await session.scalar(
            select(Follow).where(
                Follow.activity_uri == activity.object_uri, Follow.followed_id == signer.id
            )
        )
    inner = activity.embedded_object
    if row is None and inner is not None and get_id(inner.get("object")) == signer.uri:
        follower = await session.scalar(
            select(Actor).where(Actor.uri == get_id(inner.get("actor")), Actor.kind != "remote")
        )
        if follower is not None:
            row = await session.scalar(
                select(Follow).where(
                    Follow.follower_id == follower.id, Follow.followed_id == signer.id
                )
            )
    if row is None:
        raise Ignored("answer to a follow we never sent")
    follower = await session.get(Actor, row.follower_id)
    if follower is None or not follower.is_local:
        raise Ignored("answer to a follow that is not ours")
    return row


async def handle_accept(ctx: InboxContext, activity: Activity) -> None:
    if await claimed(ctx.hooks.accept_received, ctx, activity):  # a relay accepting us
        return
    async with ctx.effect() as session:
        row = await _our_follow(session, activity)
        row.state = FollowState.accepted
        row.accepted_at = ctx.svc.clock.now()


async def handle_reject(ctx: InboxContext, activity: Activity) -> None:
    async with ctx.effect() as session:
        row = await _our_follow(session, activity)
        await session.delete(row)
