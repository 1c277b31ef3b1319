"""Engines and transactions for SQLite (embedded default) and PostgreSQL (production).

`Database.transaction()` is the only way to write. On SQLite it begins `IMMEDIATE`, so a
transaction that reads and then writes can never fail on a stale snapshot; `reader()` begins
a deferred transaction that does not block writers. On PostgreSQL both share one pool and an
optional schema (set through `search_path`).

`Database.batch()` lets one task do many small units of work in one transaction: inside it,
that task's `transaction()` is a savepoint of the batch and its `reader()` reads the batch's
own (uncommitted) state, and everything commits together when the batch ends. The inbox
worker uses it to commit a hundred activities with one write instead of a hundred.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_inline
from storage.memo import BatchMemo, has_changes


def _json_text(value: Any) -> str:
    """JSON columns are written with orjson (several times faster than the standard library,
    which SQLAlchemy uses by default) and read back with `orjson.loads`."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


_JSON = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


class DatabaseUnavailable(Exception):
    """The database could not be reached or refused the write; callers answer 503."""


@dataclass(frozen=True)
class _Batch:
    database: Database
    session: AsyncSession
    task: asyncio.Task[object] | None
    memo: BatchMemo | None = None


_batch: ContextVar[_Batch | None] = ContextVar("hambastegi_batch", default=None)


class Database:
    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        pool_size: int = 10,
        synchronous: str = "normal",
    ) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            if synchronous not in {"normal", "full"}:
                raise ValueError(f"synchronous must be normal or full, not {synchronous!r}")
            self.write_engine = _sqlite_engine(
                url, begin="BEGIN IMMEDIATE", inline=False, synchronous=synchronous
            )
            self.batch_engine = _sqlite_engine(
                url, begin="BEGIN IMMEDIATE", inline=True, synchronous=synchronous
            )
            self.read_engine = _sqlite_engine(
                url, begin="BEGIN", inline=False, synchronous=synchronous
            )
        else:
            self.write_engine = _postgres_engine(url, schema, pool_size)
            self.read_engine = self.batch_engine = self.write_engine
        # SQLite has one writer at a time. Writers of this process queue here, in order, instead
        # of in SQLite's busy handler, which polls with sleeps of up to 100 ms: under load most
        # of a write transaction's time went to those sleeps. Other processes still meet
        # `BEGIN IMMEDIATE` and the busy timeout.
        self._write_turn = asyncio.Lock() if self.is_sqlite else None
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._batcher = async_sessionmaker(self.batch_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    def _current_batch(self) -> _Batch | None:
        """The batch this task is in, if any (tasks it started are not in it)."""
        batch = _batch.get()
        if batch is None or batch.database is not self:
            return None
        if batch.task is not asyncio.current_task():
            return None
        return batch

    def _open_batch(self) -> AsyncSession | None:
        batch = self._current_batch()
        return None if batch is None else batch.session

    def memo(self) -> BatchMemo | None:
        """The memo of the batch this task is in (`storage.memo`), if it keeps one."""
        batch = self._current_batch()
        return None if batch is None else batch.memo

    @asynccontextmanager
    async def batch(self, *, memo: BatchMemo | None = None) -> AsyncIterator[AsyncSession]:
        """One write transaction for many units of work by this task (see the module's doc).
        Nothing may wait on the network inside it: it holds SQLite's write lock. With `memo`,
        answers read in the batch may be kept there until the batch writes what they read."""
        if self._open_batch() is not None:
            raise RuntimeError("batches do not nest")
        async with self._write_transaction(self._batcher) as session:
            token = _batch.set(_Batch(self, session, asyncio.current_task(), memo))
            connection = None
            if memo is not None:
                memo.watch(session.sync_session)
                connection = (await session.connection()).sync_connection
                if connection is not None:
                    memo.watch_connection(connection)
            try:
                yield session
                if memo is not None:  # rows still kept back are part of what commits
                    await session.run_sync(memo.write_behind)
            finally:
                _batch.reset(token)
                if memo is not None:
                    memo.unwatch(session.sync_session)
                    if connection is not None:
                        memo.unwatch_connection(connection)
                    memo.clear()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed on success, rolled back on error (inside a batch, a
        savepoint: released on success, rolled back on error, committed with the batch)."""
        batch = self._current_batch()
        if batch is not None:
            memo = batch.memo
            writes = memo.writes if memo is not None else 0
            if memo is not None:  # rows kept back belong before the savepoint, not in it
                await batch.session.run_sync(memo.write_behind)
            async with batch.session.begin_nested():
                try:
                    yield batch.session
                except BaseException:
                    # The savepoint rolls back: if it changed anything, answers read since
                    # (and objects kept in the memo) may be gone or expired.
                    changed = has_changes(batch.session.sync_session)
                    if memo is not None and (memo.writes != writes or changed):
                        memo.clear()
                    raise
            return
        async with self._write_transaction(self._writer) as session:
            yield session

    @asynccontextmanager
    async def _write_transaction(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        if self._write_turn is None:
            async with sessions() as session, session.begin():
                yield session
            return
        async with self._write_turn, sessions() as session, session.begin():
            yield session

    async def hold_until_commit(self, session: AsyncSession, name: str) -> None:
        """Let no other process's transaction past the same `name` until this one ends. On
        PostgreSQL, a transaction-level advisory lock (two processes starting at once would
        otherwise both find a row missing and both insert it); SQLite's write transaction
        already keeps every other writer out."""
        if not self.is_sqlite:
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only view; never commit through it. Inside a batch, the batch's own view."""
        batched = self._open_batch()
        if batched is not None:
            yield batched
            return
        async with self._reader() as session:
            yield session

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.write_engine.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        for engine in {self.read_engine, self.batch_engine} - {self.write_engine}:
            await engine.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_engine(url: str, *, begin: str, inline: bool, synchronous: str) -> AsyncEngine:
    """The batch engine runs its statements inline (`storage.sqlite_inline`: the inbox
    worker's fast lane, many short statements under one write lock); the others stay on
    aiosqlite's thread, so that a long read (a page's counts) or a commit that checkpoints the
    WAL never holds up other requests."""
    database = make_url(url).database or ":memory:"
    if inline and database != ":memory:":
        engine = create_async_engine(
            url, async_creator=partial(sqlite_inline.connect, database), **_JSON
        )
    else:
        engine = create_async_engine(url, connect_args={"timeout": 30}, **_JSON)
    busy_ms = 0 if inline and database != ":memory:" else 30000

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def _postgres_engine(url: str, schema: str | None, pool_size: int) -> AsyncEngine:
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=connect_args,
        **_JSON,
    )


def insert_ignoring_duplicates(db: Database, table: Any, *unique_columns: str) -> Any:
    """`INSERT ... ON CONFLICT (columns) DO NOTHING` for the engine in use."""
    insert = sqlite_insert if db.is_sqlite else postgresql_insert
    return insert(table).on_conflict_do_nothing(index_elements=list(unique_columns))
