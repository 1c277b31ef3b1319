"""Durable work queues on ordinary tables: lease due rows, so a killed worker's rows come back.

A queue table has `state`, `next_attempt_at`, `locked_until` and `lease`. `claim()` takes up to
`limit` due rows and stamps them with a fresh lease; on PostgreSQL it uses
`FOR UPDATE SKIP LOCKED`, so several worker processes share one queue without taking the same
row; on SQLite the write transaction (`BEGIN IMMEDIATE`) serialises claims. A worker finishes a
row only while its lease is still the row's lease.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from storage.database import Database


class QueueTable(Protocol):
    id: InstrumentedAttribute[int]
    state: InstrumentedAttribute[str]
    next_attempt_at: InstrumentedAttribute[datetime]
    locked_until: InstrumentedAttribute[datetime | None]
    lease: InstrumentedAttribute[str | None]


def new_lease() -> str:
    return secrets.token_hex(8)


async def claim(
    db: Database,
    table: type[Any],
    *,
    ready_state: str,
    now: datetime,
    lease_for: timedelta,
    limit: int,
    where: Sequence[ColumnElement[bool]] = (),
    count_attempt: bool = False,
    per_group: tuple[InstrumentedAttribute[Any], int] | None = None,
) -> tuple[str, list[int]]:
    """Lease up to `limit` due rows; returns (lease, ids). With `count_attempt`, the claim
    itself adds one to the row's `attempts`: an attempt counts from the moment it may be made,
    so a worker that dies (or cannot record what happened) never gets a free retry.
    With `per_group` (a column and a number), at most that many rows of each value of the column
    are taken: one server's backlog cannot fill the claim and hold up every other server's."""
    lease = new_lease()
    conditions = (
        table.state == ready_state,
        table.next_attempt_at <= now,
        or_(table.locked_until.is_(None), table.locked_until < now),
        *where,
    )
    if per_group is None:
        candidates = select(table.id).where(*conditions)
    else:
        column, most = per_group
        ranked = (
            select(
                table.id.label("id"),
                func.row_number()
                .over(partition_by=column, order_by=(table.next_attempt_at, table.id))
                .label("rank"),
            )
            .where(*conditions)
            .subquery()
        )
        candidates = select(table.id).where(
            table.id.in_(select(ranked.c.id).where(ranked.c.rank <= most))
        )
    due = candidates.order_by(table.next_attempt_at, table.id).limit(limit)
    if not db.is_sqlite:
        due = due.with_for_update(skip_locked=True)
    async with db.transaction() as session:
        result = await session.scalars(
            update(table)
            .where(table.id.in_(due.scalar_subquery()))
            .values(
                locked_until=now + lease_for,
                lease=lease,
                **({"attempts": table.attempts + 1} if count_attempt else {}),
            )
            .returning(table.id)
            .execution_options(synchronize_session=False)
        )
        ids = sorted(result)
    return lease, ids
