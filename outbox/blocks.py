"""Blocking a server ends every relationship with it, as Mastodon does for a suspension.

In one transaction: the block is recorded; each of its actors that follows one of ours is told
`Reject(Follow)` and removed; each of its actors that one of ours follows is told `Undo(Follow)`
and the follow removed (those farewells are the only deliveries that go out despite the block);
every delivery still queued for it is cancelled. From then on nothing is sent to it, nothing
from it is accepted or fetched, and it drops out of collections and counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from actors.domains import forget_rules, normalise_domain, set_policy
from actors.models import Actor, ActorKind, DomainPolicyKind, Follow
from outbox.enqueue import enqueue
from outbox.follows import render_follow
from outbox.models import Delivery, DeliveryState
from runtime.services import Services


@dataclass(frozen=True)
class BlockOutcome:
    domain: str
    followers_removed: int
    follows_ended: int
    deliveries_cancelled: int


def on_domain(column: InstrumentedAttribute[str], domain: str) -> ColumnElement[bool]:
    """Rows whose domain is `domain` or one of its subdomains (ports included)."""
    return or_(
        column == domain,
        column.like(f"{domain}:%"),
        column.like(f"%.{domain}"),
        column.like(f"%.{domain}:%"),
    )


async def block_domain(svc: Services, domain: str, note: str = "") -> BlockOutcome:
    name = normalise_domain(domain)
    follower, followed = aliased(Actor), aliased(Actor)
    async with svc.db.transaction() as session:
        await set_policy(session, svc.clock, name, DomainPolicyKind.block, note)
        follows = (
            await session.execute(
                select(Follow, follower, followed)
                .join(follower, follower.id == Follow.follower_id)
                .join(followed, followed.id == Follow.followed_id)
                .where(
                    or_(
                        and_(follower.kind == ActorKind.remote, on_domain(follower.domain, name)),
                        and_(followed.kind == ActorKind.remote, on_domain(followed.domain, name)),
                    )
                )
            )
        ).all()
        theirs = 0
        for row, who, whom in follows:
            if who.kind == ActorKind.remote:  # its actor follows one of ours: Reject
                await _farewell(session, svc, "Reject", row, who, whom, to=who)
                theirs += 1
            else:  # one of ours follows its actor: Undo
                await _farewell(session, svc, "Undo", row, who, whom, to=whom)
            await session.delete(row)
        cancelled = await session.execute(
            update(Delivery)
            .where(
                Delivery.state == DeliveryState.pending,
                Delivery.despite_policy.is_(False),
                on_domain(Delivery.domain, name),
            )
            .values(
                state=DeliveryState.failed,
                last_error=f"cancelled: {name} was blocked",
                finished_at=svc.clock.now(),
                locked_until=None,
                lease=None,
            )
        )
    forget_rules(svc)
    return BlockOutcome(
        domain=name,
        followers_removed=theirs,
        follows_ended=len(follows) - theirs,
        deliveries_cancelled=int(getattr(cancelled, "rowcount", 0) or 0),
    )


async def _farewell(
    session: AsyncSession,
    svc: Services,
    kind: str,
    row: Follow,
    follower: Actor,
    followed: Actor,
    *,
    to: Actor,
) -> None:
    speaker = followed if kind == "Reject" else follower
    follow_uri = row.activity_uri or f"{follower.uri}#follows/{followed.id}"
    await enqueue(
        session,
        svc,
        speaker,
        {
            "type": kind,
            "actor": speaker.uri,
            "object": render_follow(follow_uri, follower.uri, followed.uri),
        },
        [to.inbox_uri or ""],
        despite_policy=True,
    )
