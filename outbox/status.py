"""Delivery status of a post, per server: what reached whom, what waits, what failed and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from outbox.models import Delivery, DeliveryState, OutboxActivity, Post


@dataclass
class HostStatus:
    domain: str
    delivered: int = 0
    pending: int = 0
    failed: int = 0
    skipped: int = 0
    last_error: str = ""
    activities: set[str] = field(default_factory=set)

    @property
    def state(self) -> str:
        if self.failed:
            return "failed"
        if self.pending:
            return "pending"
        if self.skipped and not self.delivered:
            return "skipped"
        return "delivered"


async def delivery_status(session: AsyncSession, post: Post) -> list[HostStatus]:
    rows = await session.execute(
        select(
            Delivery.domain,
            Delivery.state,
            Delivery.last_status,
            Delivery.last_error,
            OutboxActivity.type,
        )
        .join(OutboxActivity, OutboxActivity.id == Delivery.activity_id)
        .where(OutboxActivity.object_uri == post.uri)
        .order_by(Delivery.id)
    )
    hosts: dict[str, HostStatus] = {}
    for domain, state, status, error, activity_type in rows:
        host = hosts.setdefault(domain, HostStatus(domain))
        host.activities.add(activity_type)
        if state == DeliveryState.delivered:
            host.delivered += 1
        elif state == DeliveryState.pending:
            host.pending += 1
        elif state == DeliveryState.failed:
            host.failed += 1
        else:
            host.skipped += 1
        if state != DeliveryState.delivered and (error or status):
            host.last_error = error or f"HTTP {status}"
    return sorted(hosts.values(), key=lambda h: h.domain)


async def retry_now(session: AsyncSession, post: Post, now: datetime) -> int:
    """Make every undelivered delivery of this post due now (failed ones get a fresh start)."""
    activity_ids = (
        select(OutboxActivity.id).where(OutboxActivity.object_uri == post.uri).scalar_subquery()
    )
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.activity_id.in_(activity_ids),
            Delivery.state.in_([DeliveryState.pending, DeliveryState.failed]),
        )
        .values(state=DeliveryState.pending, next_attempt_at=now, attempts=0, finished_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
