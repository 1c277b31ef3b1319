"""Remote server health for deliveries: unavailable after failures on 7 distinct days (Mastodon's
DeliveryFailureTracker); any success, or any request from that server, makes it available again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import InstanceHealth
from runtime.services import Services

FAILURE_DAYS_THRESHOLD = 7


async def record_failure(session: AsyncSession, domain: str, now: datetime) -> bool:
    """Count a failed delivery day; True when the server has just become unavailable."""
    today = now.date().isoformat()
    health = await session.get(InstanceHealth, domain)
    if health is None:
        health = InstanceHealth(domain=domain, failure_days=0)
        session.add(health)
    if health.last_failure_day == today:
        return False
    health.failure_days += 1
    health.last_failure_day = today
    if health.failure_days >= FAILURE_DAYS_THRESHOLD and health.unavailable_since is None:
        health.unavailable_since = now
        return True
    return False


async def record_successes(session: AsyncSession, domains: set[str], now: datetime) -> None:
    """Deliveries to these servers succeeded: each is healthy again (two statements however
    many servers a fan-out reached)."""
    if not domains:
        return
    ordered = sorted(domains)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        known = set(
            await session.scalars(
                select(InstanceHealth.domain).where(InstanceHealth.domain.in_(chunk))
            )
        )
        if known:
            await session.execute(
                update(InstanceHealth)
                .where(InstanceHealth.domain.in_(known))
                .values(
                    failure_days=0,
                    last_failure_day=None,
                    unavailable_since=None,
                    last_success_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        new = [d for d in chunk if d not in known]
        if new:
            await session.execute(
                insert(InstanceHealth),
                [{"domain": d, "failure_days": 0, "last_success_at": now} for d in new],
            )


async def unavailable_domains(session: AsyncSession) -> set[str]:
    rows = await session.scalars(
        select(InstanceHealth.domain).where(InstanceHealth.unavailable_since.is_not(None))
    )
    return set(rows)


RELOAD_SECONDS = 30.0


@dataclass
class GivenUp:
    """The servers we had given up on, as last read (per instance; a typed component of
    `Services`): the delivery worker refreshes it after each batch of outcomes, any process
    rereads it every `RELOAD_SECONDS`."""

    domains: set[str] = field(default_factory=set)
    loaded_at: float = float("-inf")  # monotonic seconds

    def replace(self, domains: set[str]) -> None:
        self.domains = domains
        self.loaded_at = time.monotonic()


async def mark_seen(svc: Services, domain: str) -> None:
    """A request from `domain` arrived: if we had given up on it, it is back. The set of servers
    given up on is read from the database every `RELOAD_SECONDS` (in any process: a web-only
    process has no delivery worker to fill it)."""
    known = svc.component(GivenUp)
    if time.monotonic() - known.loaded_at > RELOAD_SECONDS:
        async with svc.db.reader() as session:
            known.replace(await unavailable_domains(session))
    if domain not in known.domains:
        return
    async with svc.db.transaction() as session:
        await session.execute(
            update(InstanceHealth)
            .where(InstanceHealth.domain == domain)
            .values(failure_days=0, last_failure_day=None, unavailable_since=None)
        )
    known.domains.discard(domain)
