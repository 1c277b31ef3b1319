"""`Database.batch()`: many small units of work by one task in one transaction, and on SQLite
the write connection that waits for another process's lock without stopping the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, event, func, insert, select, update

from actors.models import DomainPolicy, DomainPolicyKind
from core.config import normalise_database_url
from storage.database import Database, insert_ignoring_duplicates
from storage.memo import BatchMemo, WriteBehind, WriteBehindConflict
from storage.meta import InstanceMeta
from tests import databases


@pytest.fixture
async def db(database: databases.TestDatabase) -> AsyncIterator[Database]:
    found = Database(normalise_database_url(database.url), schema=database.schema)
    try:
        yield found
    finally:
        await found.dispose()


async def meta_keys(db: Database) -> list[str]:
    async with db.reader() as session:
        return list(await session.scalars(select(InstanceMeta.key).order_by(InstanceMeta.key)))


def counting_commits(db: Database) -> list[int]:
    commits = [0]

    def _count(_conn: object) -> None:
        commits[0] += 1

    for engine in {db.write_engine, db.batch_engine}:
        event.listen(engine.sync_engine, "commit", _count)

    return commits


async def test_a_batch_commits_its_units_once_and_together(db: Database) -> None:
    before = await meta_keys(db)
    commits = counting_commits(db)

    async with db.batch():
        for n in range(20):
            async with db.transaction() as session:
                session.add(InstanceMeta(key=f"batch:{n:02}", value="x"))

    assert commits[0] == 1
    assert await meta_keys(db) == sorted([*before, *(f"batch:{n:02}" for n in range(20))])


async def test_inside_a_batch_reads_see_its_own_uncommitted_work(db: Database) -> None:
    async with db.batch():
        async with db.transaction() as session:
            session.add(InstanceMeta(key="batch:seen", value="1"))
        async with db.reader() as session:
            assert await session.get(InstanceMeta, "batch:seen") is not None
        outside = asyncio.create_task(meta_keys(db))  # another task: not in the batch
        assert "batch:seen" not in await outside


async def test_a_failed_unit_is_rolled_back_and_the_rest_of_the_batch_commits(
    db: Database,
) -> None:
    async with db.batch():
        async with db.transaction() as session:
            session.add(InstanceMeta(key="batch:kept", value="1"))

        async def failing_unit() -> None:
            async with db.transaction() as session:
                session.add(InstanceMeta(key="batch:dropped", value="1"))
                await session.flush()
                raise RuntimeError("this unit fails")

        with pytest.raises(RuntimeError):
            await failing_unit()
        async with db.transaction() as session:
            session.add(InstanceMeta(key="batch:after", value="1"))

    keys = await meta_keys(db)
    assert "batch:kept" in keys
    assert "batch:after" in keys
    assert "batch:dropped" not in keys


async def test_a_batch_that_fails_commits_nothing(db: Database) -> None:
    before = await meta_keys(db)

    async def failing_batch() -> None:
        async with db.batch():
            async with db.transaction() as session:
                session.add(InstanceMeta(key="batch:lost", value="1"))
            raise RuntimeError("the whole batch fails")

    with pytest.raises(RuntimeError):
        await failing_batch()
    assert await meta_keys(db) == before


async def test_batches_do_not_nest(db: Database) -> None:
    async with db.batch():
        with pytest.raises(RuntimeError, match="nest"):
            async with db.batch():
                pass


async def test_a_batch_memo_keeps_answers_only_until_the_batch_writes_what_they_may_depend_on(
    db: Database,
) -> None:
    memo = BatchMemo(keeps_through={"instance_meta"})
    async with db.batch(memo=memo):
        assert db.memo() is memo
        assert await asyncio.create_task(_memo_of(db)) is None  # another task: not in the batch
        memo.put("answer", 1)
        async with db.transaction() as session:  # writes to a table the answers do not read
            session.add(InstanceMeta(key="memo:1", value="1"))
        async with db.transaction() as session:
            await session.execute(update(InstanceMeta).values(value="2"))
        assert memo.get("answer") == 1

        async with db.transaction() as session:  # an object of another table, flushed
            session.add(DomainPolicy(domain="a.example", policy=DomainPolicyKind.block,
                                     created_at=datetime.now(UTC)))  # fmt: skip
        assert memo.get("answer") is None

        memo.put("answer", 2)
        async with db.transaction() as session:  # a statement on another table
            await session.execute(delete(DomainPolicy))
        assert memo.get("answer") is None

        memo.put("answer", 3)
        with pytest.raises(RuntimeError):  # a savepoint that changed nothing rolls back
            await _failing_unit(db, writes=False)
        assert memo.get("answer") == 3
        with pytest.raises(RuntimeError):  # a savepoint rolled back, even of a kept table
            await _failing_unit(db, writes=True)
        assert memo.get("answer") is None
        memo.put("answer", 4)
    assert db.memo() is None
    assert memo.get("answer") is None  # nothing outlives its batch


async def test_a_batch_memo_counts_every_statement_that_may_write_even_below_the_orm(
    db: Database,
) -> None:
    """The inbox's fast lane tells by this count whether an activity that failed had written
    (then its transaction must roll back whole): a write sent on the connection itself, past
    the ORM, counts too; a read does not."""
    memo = BatchMemo()
    async with db.batch(memo=memo) as session:
        connection = await session.connection()
        await connection.execute(select(func.count()).select_from(InstanceMeta))
        assert memo.statements == 0
        await connection.execute(insert(InstanceMeta).values(key="memo:core", value="1"))
        assert memo.statements == 1
        await connection.exec_driver_sql("UPDATE instance_meta SET value = '2' WHERE key = 'x'")
        assert memo.statements == 2
        await session.scalar(select(InstanceMeta.value).where(InstanceMeta.key == "memo:core"))
        assert memo.statements == 2


def meta_behind(db: Database) -> WriteBehind:
    table = InstanceMeta.__table__
    return WriteBehind(insert_ignoring_duplicates(db, table, "key").returning(table.c.key), "key")


async def test_rows_written_behind_are_there_for_every_later_statement_and_commit_together(
    db: Database,
) -> None:
    """Rows a batch keeps back are sent in one statement before anything reads past them: the
    session's next statement, a flush, a savepoint; and the rest before the batch commits."""
    before = await meta_keys(db)
    memo = BatchMemo()
    statements = []
    async with db.batch(memo=memo) as session:
        behind = memo.behind["instance_meta"] = meta_behind(db)
        event.listen(
            (await session.connection()).sync_connection,
            "before_cursor_execute",
            lambda *args: statements.append(args[2]),
        )
        for n in range(3):
            behind.queue({"key": f"behind:{n}", "value": "x"})
        assert statements == []  # kept back so far
        assert "behind:2" in await meta_keys(db)  # a read: all three were sent first, at once
        assert sum(s.startswith("INSERT") for s in statements) == 1

        behind.queue({"key": "behind:flush", "value": "x"})
        session.add(InstanceMeta(key="orm:1", value="y"))
        await session.flush()  # before the ORM's own rows
        assert behind.rows == []

        behind.queue({"key": "behind:savepoint", "value": "x"})
        with pytest.raises(RuntimeError):
            async with db.transaction():  # a savepoint that rolls back takes none of them
                raise RuntimeError("this unit fails")
        assert behind.rows == []

        behind.queue({"key": "behind:last", "value": "x"})
    added = set(await meta_keys(db)) - set(before)
    assert added == {"behind:0", "behind:1", "behind:2", "behind:flush", "orm:1",
                     "behind:savepoint", "behind:last"}  # fmt: skip
    assert memo.queued == 6


async def test_a_row_written_behind_that_someone_wrote_meanwhile_stops_the_batch(
    db: Database,
) -> None:
    async with db.transaction() as session:
        session.add(InstanceMeta(key="taken", value="theirs"))
    with pytest.raises(WriteBehindConflict):
        await _batch_writing_behind(db, ["taken", "free"])
    async with db.reader() as session:
        taken = await session.get(InstanceMeta, "taken")
        assert taken is not None
        assert taken.value == "theirs"
        assert await session.get(InstanceMeta, "free") is None  # the batch rolled back


async def _batch_writing_behind(db: Database, keys: list[str]) -> None:
    memo = BatchMemo()
    async with db.batch(memo=memo) as session:
        behind = memo.behind["instance_meta"] = meta_behind(db)
        for key in keys:
            behind.queue({"key": key, "value": "ours"})
        await session.scalar(select(func.count()).select_from(InstanceMeta))


async def _failing_unit(db: Database, *, writes: bool) -> None:
    async with db.transaction() as session:
        if writes:
            session.add(InstanceMeta(key="memo:2", value="1"))
        else:
            await session.scalar(select(func.count()).select_from(InstanceMeta))
        raise RuntimeError("this unit fails")


async def _memo_of(db: Database) -> BatchMemo | None:
    return db.memo()


async def test_sqlite_writer_waits_for_another_process_without_stopping_the_loop(
    db: Database, database: databases.TestDatabase
) -> None:
    """Another process (here: a plain sqlite3 connection on a thread) holds the write lock
    for half a second. Our batch (whose statements run on the loop's own thread) waits and
    then succeeds, and meanwhile the event loop keeps running other work (the wait is
    asynchronous, not SQLite's busy handler on the loop's thread); so does a plain write."""
    if not db.is_sqlite:
        pytest.skip("SQLite's single write lock")
    path = db.write_engine.url.database
    assert path is not None
    await meta_keys(db)  # the schema exists and the file is in WAL mode
    locked = threading.Event()

    def hold_the_lock() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO instance_meta (key, value) VALUES ('other:process', '1')")
        locked.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    await asyncio.to_thread(locked.wait)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    started = time.monotonic()
    async with db.batch() as session:
        session.add(InstanceMeta(key="ours:after", value="1"))
    waited = time.monotonic() - started
    ticker.cancel()
    await asyncio.to_thread(holder.join)

    assert waited >= 0.3  # it did wait for the other writer
    assert ticks >= 10  # and the loop ran other tasks meanwhile
    async with db.reader() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InstanceMeta)
            .where(InstanceMeta.key.in_(["other:process", "ours:after"]))
        )
    assert count == 2


async def test_sqlite_durability_is_the_setting(database: databases.TestDatabase) -> None:
    if not database.url.startswith("sqlite"):
        pytest.skip("a SQLite setting")
    for mode, expected in (("normal", 1), ("full", 2)):
        db = Database(normalise_database_url(database.url), synchronous=mode)
        try:
            for engine in (db.write_engine, db.read_engine):
                async with engine.connect() as conn:
                    assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar() == expected
        finally:
            await db.dispose()
