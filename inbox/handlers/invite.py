"""Invite to co-sign a statement elsewhere, for one of our organisations: kept for its editors
to sign (an Accept goes back) or leave. The answers to our own Invites are in `accept`."""

from __future__ import annotations

from sqlalchemy import select

from actors.models import Actor
from federation.documents import Activity
from federation.vocab import get_id
from inbox.context import Ignored, InboxContext
from inbox.models import Invitation


async def handle_invite(ctx: InboxContext, activity: Activity) -> None:
    target = get_id(activity.document.get("target"))
    statement = activity.object_uri
    if target is None or statement is None or not ctx.svc.uris.is_ours(target):
        raise Ignored("an invitation for nobody here")
    if ctx.svc.uris.is_ours(statement):
        raise Ignored("an invitation to one of our own posts")
    async with ctx.svc.db.reader() as session:
        ours = await session.scalar(select(Actor).where(Actor.uri == target))
    if ours is None or not ours.is_local:
        raise Ignored("an invitation for nobody here")
    inviter = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        existing = await session.scalar(
            select(Invitation).where(
                Invitation.actor_id == ours.id, Invitation.statement_uri == statement
            )
        )
        if existing is None:
            session.add(
                Invitation(
                    actor_id=ours.id,
                    inviter_id=inviter.id,
                    statement_uri=statement,
                    invite=dict(activity.document),
                    received_at=ctx.svc.clock.now(),
                )
            )
