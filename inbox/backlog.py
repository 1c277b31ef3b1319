"""Back-pressure: how many accepted activities wait for the worker, and whether to take more.

The depth is read from the database at most once a second (one request reads it while the
others wait for that read) and counted up locally as activities are accepted in between. When
it reaches `HAMBASTEGI_MAX_INBOX_BACKLOG` the inbox answers 503 with `Retry-After`: senders
keep the activity and retry, nothing is lost, and the backlog cannot grow without bound.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from inbox.models import ReceivedActivity, ReceivedState
from runtime.services import Services
from storage.database import DatabaseUnavailable

RETRY_AFTER_SECONDS = 60


@dataclass
class Backlog:
    limit: int  # 0: no limit
    refresh_seconds: float = 1.0
    depth: int = 0
    read_at: float = float("-inf")
    _reading: asyncio.Future[int] | None = field(default=None, repr=False)

    def _is_fresh(self) -> bool:
        return time.monotonic() - self.read_at <= self.refresh_seconds

    async def current(self, svc: Services) -> int:
        if not self._is_fresh():
            if self._reading is None:
                self._reading = asyncio.ensure_future(waiting(svc))
            reading = self._reading
            try:
                self.depth = await asyncio.shield(reading)
                self.read_at = time.monotonic()
            except (SQLAlchemyError, OSError, DatabaseUnavailable):
                pass  # the last depth stands; storing will answer 503 if the database is away
            finally:
                if self._reading is reading and reading.done():
                    self._reading = None
        return self.depth

    async def is_full(self, svc: Services) -> bool:
        if self.limit <= 0:
            return False
        depth = self.depth if self._is_fresh() else await self.current(svc)  # awaits only to read
        return depth >= self.limit

    def accepted(self, count: int = 1) -> None:
        self.depth += count


async def waiting(svc: Services) -> int:
    """Accepted activities not yet processed."""
    async with svc.db.reader() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ReceivedActivity)
                .where(ReceivedActivity.state == ReceivedState.received)
            )
            or 0
        )
