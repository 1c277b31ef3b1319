"""Accept and Reject of a Follow one of our actors sent, or of a Join of an event elsewhere
(Mobilizon embeds the Join, sent by one of the event's moderators); Accept of an Invite to
co-sign one of our statements (a signature), and the Undo of that Accept (withdrawn)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, Follow, FollowState
from core.uris import authority
from federation.documents import Activity
from federation.vocab import get_id
from inbox.context import Ignored, InboxContext
from inbox.hooks import claimed
from outbox.models import Attendance, AttendanceState, OutboxActivity, Post, Signature


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
    invite = await our_invite(ctx, activity)
    if invite is not None:  # a co-signature of one of our statements
        await accept_invite(ctx, activity, invite)
        return
    if await _answer_join(ctx, activity, AttendanceState.accepted):
        return
    async with ctx.effect() as session:
        row = await _our_follow(session, activity)
        row.state = FollowState.accepted
        row.accepted_at = ctx.svc.clock.now()


async def handle_reject(ctx: InboxContext, activity: Activity) -> None:
    if await _answer_join(ctx, activity, AttendanceState.rejected):
        return
    async with ctx.effect() as session:
        row = await _our_follow(session, activity)
        await session.delete(row)


async def our_invite(ctx: InboxContext, activity: Activity) -> OutboxActivity | None:
    """The Invite of ours that an Accept answers, if it answers one."""
    inner_uri = activity.object_uri
    if inner_uri is None or not ctx.svc.uris.is_ours(inner_uri):
        return None
    async with ctx.svc.db.reader() as session:
        found: OutboxActivity | None = await session.scalar(
            select(OutboxActivity).where(
                OutboxActivity.uri == inner_uri, OutboxActivity.type == "Invite"
            )
        )
    return found


async def accept_invite(ctx: InboxContext, activity: Activity, invite: OutboxActivity) -> None:
    """A member elsewhere co-signs: only the invited actor's own Accept counts."""
    if get_id(invite.document.get("target")) != activity.actor_uri:
        raise Ignored("an answer to an invitation sent to someone else")
    signer = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        post = await session.scalar(select(Post).where(Post.uri == invite.object_uri))
        if post is None:
            raise Ignored("the statement is gone")
        existing = await session.scalar(
            select(Signature).where(Signature.post_id == post.id, Signature.actor_id == signer.id)
        )
        if existing is None:
            session.add(
                Signature(
                    post_id=post.id,
                    actor_id=signer.id,
                    activity_uri=activity.uri,
                    created_at=ctx.svc.clock.now(),
                )
            )


async def undo_accept(ctx: InboxContext, activity: Activity, inner_uri: str) -> None:
    """A member elsewhere withdraws its signature (Undo of its Accept)."""
    signer = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        result = await session.execute(
            delete(Signature).where(
                Signature.activity_uri == inner_uri, Signature.actor_id == signer.id
            )
        )
        if not getattr(result, "rowcount", 0):
            raise Ignored("no signature of theirs to withdraw")


async def _answer_join(ctx: InboxContext, activity: Activity, state: AttendanceState) -> bool:
    """The answer to one of our organisations' Joins, if it is one: by the Join's id, or (for
    servers that embed it without one) by who joined what. Only the event's own server (its
    organiser or a moderator there) can answer."""
    inner = activity.embedded_object or {}
    async with ctx.svc.db.reader() as session:
        row = None
        if activity.object_uri is not None and ctx.svc.uris.is_ours(activity.object_uri):
            row = await session.scalar(
                select(Attendance).where(Attendance.join_uri == activity.object_uri)
            )
        if row is None and inner.get("type") == "Join":
            joined = get_id(inner.get("actor"))
            event = get_id(inner.get("object"))
            if joined is not None and event is not None and ctx.svc.uris.is_ours(joined):
                row = await session.scalar(
                    select(Attendance)
                    .join(Actor, Actor.id == Attendance.actor_id)
                    .where(Actor.uri == joined, Attendance.event_uri == event)
                )
    if row is None:
        return False
    if activity.actor_uri != row.organiser_uri and authority(activity.actor_uri) != authority(
        row.event_uri
    ):
        raise Ignored("an answer to our Join from outside the event's server")
    async with ctx.effect() as session:
        found = await session.get(Attendance, row.id)
        if found is not None:
            found.state = state
            found.answered_at = ctx.svc.clock.now()
    return True
