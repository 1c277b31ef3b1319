"""What an inbox handler gets: the instance's services, the hooks of the layers above, and
`effect()`, the one transaction in which a handler changes state. Leaving it marks the
received row processed in that same transaction, so each activity takes effect exactly once
even if a worker dies half way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from actors.resolver import resolve_actor
from inbox.hooks import InboxHooks
from inbox.models import ReceivedActivity, ReceivedState
from runtime.services import Services


class Ignored(Exception):
    """Valid, but nothing for us to do; the reason is recorded on the row."""


class LeaseLost(Exception):
    """Another worker took this row over (our lease expired): roll back, do nothing."""


async def mark_processed(
    session: AsyncSession, svc: Services, row_ids: list[int], lease: str
) -> None:
    """Mark received rows processed, in the transaction of their effects; `LeaseLost` (and so
    a rollback) if any of them is no longer held under `lease`."""
    result = await session.execute(
        update(ReceivedActivity)
        .where(ReceivedActivity.id.in_(row_ids), ReceivedActivity.lease == lease)
        .values(
            state=ReceivedState.processed,
            processed_at=svc.clock.now(),
            locked_until=None,
            lease=None,
            error=None,
        )
    )
    if getattr(result, "rowcount", 0) != len(row_ids):
        raise LeaseLost(f"inbox rows {row_ids} are no longer all ours")


@dataclass
class InboxContext:
    svc: Services
    row_id: int
    lease: str
    recipient: str | None
    relayed_by: str | None = None  # a relay forwarded it: trust nothing but ids; fetch from origin
    hooks: InboxHooks = field(default_factory=InboxHooks)  # what the layers above subscribed
    # In the worker's fast lane: the lane's transaction. The handler already runs in a
    # savepoint of its own there, and the lane marks the row processed with its whole batch.
    batch: AsyncSession | None = None
    is_finished: bool = False

    @asynccontextmanager
    async def effect(self) -> AsyncIterator[AsyncSession]:
        if self.batch is not None:
            yield self.batch
            self.is_finished = True
            return
        async with self.svc.db.transaction() as session:
            yield session
            await mark_processed(session, self.svc, [self.row_id], self.lease)
        self.is_finished = True

    async def actor(self, uri: str) -> Actor:
        """The (verified, so usually cached) actor behind an activity."""
        memo = self.svc.db.memo()
        found: Actor | None = memo.get(("actor", uri)) if memo is not None else None
        if found is None:
            found = await resolve_actor(self.svc, uri)
            if memo is not None:
                memo.put(("actor", uri), found)
        return found
