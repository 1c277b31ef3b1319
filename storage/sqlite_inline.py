"""aiosqlite, with the statements of write transactions run on the event loop's own thread.

aiosqlite runs every call (execute, fetch, close) on a worker thread and wakes the event loop
for each answer: about 0.3 ms a call here, whatever the statement. A write transaction of
SQLite is short and already holds the one write lock, so the inbox worker spent most of its
time in those hand-offs (a savepoint, a lookup and an insert took ~1 ms; ~11 calls per
activity). This connection keeps aiosqlite's API (so SQLAlchemy's aiosqlite dialect drives
it unchanged) and runs the calls inline, where they take microseconds.

What could block the event loop is waiting for the write lock held by another process, so
the busy timeout is zero and `BEGIN` is retried here with `asyncio.sleep` until the same
30 s deadline that the threaded connections have. (It relies on aiosqlite's `_execute`, the
one method every call goes through; aiosqlite is pinned below its next minor version.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

BUSY_DEADLINE_SECONDS = 30.0


class InlineConnection(aiosqlite.Connection):
    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if not _begins(args):
            return fn(*args, **kwargs)
        deadline = time.monotonic() + BUSY_DEADLINE_SECONDS
        pause = 0.0005
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.02)


def _begins(args: tuple[Any, ...]) -> bool:
    return bool(args) and isinstance(args[0], str) and args[0].lstrip()[:5].upper() == "BEGIN"


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or "locked" in str(exc)


async def connect(path: str) -> InlineConnection:
    """A connection for SQLAlchemy's `async_creator` (see `storage.database`)."""
    connector = partial(sqlite3.connect, path, check_same_thread=False, timeout=0)
    connection = InlineConnection(connector, 64)
    connection._thread.daemon = True
    await connection  # starts aiosqlite's thread, which opens the file (and does nothing else)
    return connection
