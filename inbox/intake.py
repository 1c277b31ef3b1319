"""Durable acceptance of verified activities with group commit.

Each request hands its row to one writer task, which inserts everything queued in a single
transaction (`ON CONFLICT DO NOTHING` on the activity id) and only then releases the waiting
requests: 202 always means committed. If the database fails, every waiting request gets
`DatabaseUnavailable` (503) and nothing is half-stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.exc import SQLAlchemyError

from inbox.backlog import Backlog
from inbox.models import ReceivedActivity, ReceivedState
from runtime.services import Services
from storage.database import DatabaseUnavailable, insert_ignoring_duplicates

log = logging.getLogger(__name__)
MAX_BATCH = 500


@dataclass(frozen=True)
class Arrival:
    activity_uri: str
    type: str
    actor_uri: str
    key_id: str
    recipient: str | None
    document: dict[str, Any]
    relayed_by: str | None = None


class InboxIntake:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[Arrival, asyncio.Future[bool]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._svc: Services | None = None
        self.backlog = Backlog(limit=0)

    async def start(self, svc: Services) -> None:
        self._svc = svc
        self.backlog = Backlog(limit=svc.settings.max_inbox_backlog)
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._write_forever(), name="inbox-intake")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def store(self, arrival: Arrival) -> bool:
        """Commit the arrival; True if it is new, False if we had it already."""
        if self._queue is None:
            raise DatabaseUnavailable("the inbox is not running")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put((arrival, future))
        is_new = await future
        if is_new:
            self.backlog.accepted()
        return is_new

    async def _write_forever(self) -> None:
        queue, svc = self._queue, self._svc
        if queue is None or svc is None:
            raise RuntimeError("InboxIntake.start() was not called")
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                inserted = await self._insert(svc, [arrival for arrival, _ in batch])
            except (SQLAlchemyError, OSError, DatabaseUnavailable) as exc:
                log.warning("inbox write failed, answering 503: %s", exc.__class__.__name__)
                for _arrival, future in batch:
                    if not future.done():
                        future.set_exception(DatabaseUnavailable("the database is not available"))
                continue
            for arrival, future in batch:
                if not future.done():
                    future.set_result(arrival.activity_uri in inserted)
            if inserted:
                svc.wakeups.notify("inbox")

    @staticmethod
    async def _insert(svc: Services, arrivals: list[Arrival]) -> set[str]:
        now = svc.clock.now()
        rows = [
            {
                "activity_uri": a.activity_uri,
                "type": a.type,
                "actor_uri": a.actor_uri,
                "key_id": a.key_id,
                "recipient": a.recipient,
                "relayed_by": a.relayed_by,
                "document": a.document,
                "state": ReceivedState.received,
                "attempts": 0,
                "next_attempt_at": now,
                "received_at": now,
            }
            for a in arrivals
        ]
        table = cast(Table, ReceivedActivity.__table__)
        # One statement compiled once and cached, executed for many rows (SQLAlchemy batches
        # them into multi-row INSERTs); RETURNING gives the rows that were new.
        statement = insert_ignoring_duplicates(svc.db, table, "activity_uri").returning(
            table.c.activity_uri
        )
        async with svc.db.transaction() as session:
            result = await session.execute(statement, rows)
            return set(result.scalars())
