"""A batch's memo: answers read inside one `Database.batch()`, kept until a write could change them.

The inbox worker's fast lane asks the same questions of the database for activity after
activity (who is this actor, is it a member, does one of ours follow it). Inside one batch
those answers stand until something is written, so the batch keeps them here. The memo is
emptied as soon as the batch writes to any table other than the ones its owner names as
irrelevant (`keeps_through`: the inbox's own bookkeeping and the posts it stores), and when a
savepoint of the batch that changed anything rolls back (its objects are expired then). A memo
is never shared between batches or tasks.

A memo may also keep back new rows (`WriteBehind`), to write them in one statement: they are
sent before any other statement of the batch's session, before a flush and before a savepoint
opens, so nothing in the batch reads past them; the owner sends the rest before it commits.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from sqlalchemy import Connection, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction


class WriteBehindConflict(Exception):
    """Rows written behind met rows already there (someone else wrote them meanwhile): what
    depended on writing them did not happen, so the batch must not commit as it is."""


class WriteBehind:
    """New rows for one table, kept back and written together, in one statement, before the
    batch's next statement (as the ORM's autoflush does for objects) or when the batch's owner
    says. For rows not expected to exist: `statement` is an INSERT that skips a row whose
    `key` is taken and RETURNING `key`; a row it skipped raises `WriteBehindConflict`.
    `known` holds keys that exist or are queued (the owner fills it): only a key not in it may
    be written behind."""

    def __init__(self, statement: Any, key: str) -> None:
        self.statement = statement
        self.key = key
        self.known: set[Any] = set()
        self.rows: list[dict[str, Any]] = []
        self.queued = 0  # rows ever queued: a change, for whoever watches for one

    def may_queue(self, key: Any) -> bool:
        return key not in self.known

    def queue(self, row: dict[str, Any]) -> None:
        self.known.add(row[self.key])
        self.rows.append(row)
        self.queued += 1

    def write(self, connection: Connection) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        written = {found[0] for found in connection.execute(self.statement, rows)}
        skipped = [row[self.key] for row in rows if row[self.key] not in written]
        if skipped:
            raise WriteBehindConflict(f"{len(skipped)} rows were there already: {skipped[:3]}")


class BatchMemo:
    def __init__(self, keeps_through: Iterable[str] = ()) -> None:
        self.keeps_through = frozenset(keeps_through)
        self._answers: dict[Hashable, Any] = {}
        self.writes = 0  # statements and flushes that changed something, kept tables too
        self.statements = 0  # every statement but SELECT sent on the batch's connection
        self.behind: dict[str, WriteBehind] = {}  # by table, when the owner writes behind
        self._writing = False

    def get(self, key: Hashable) -> Any | None:
        return self._answers.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep an answer (None is never kept: it reads as "not known")."""
        if value is not None:
            self._answers[key] = value

    def clear(self) -> None:
        self._answers.clear()

    @property
    def queued(self) -> int:
        """Rows ever queued to be written behind (it grows with every change not yet sent)."""
        return sum(behind.queued for behind in self.behind.values())

    def write_behind(self, session: Session) -> None:
        """Send the rows kept back (sync: `await async_session.run_sync(memo.write_behind)`)."""
        if self._writing or not any(behind.rows for behind in self.behind.values()):
            return
        self._writing = True
        try:
            connection = session.connection()
            for behind in self.behind.values():
                behind.write(connection)
        finally:
            self._writing = False

    def written(self, tables: Iterable[str]) -> None:
        self.writes += 1
        if not set(tables) <= self.keeps_through:
            self.clear()

    # -- watching a session ------------------------------------------------------------------

    def watch(self, session: Session) -> None:
        event.listen(session, "do_orm_execute", self._on_execute)
        event.listen(session, "before_flush", self._before_flush)
        event.listen(session, "after_flush", self._on_flush)

    def unwatch(self, session: Session) -> None:
        event.remove(session, "do_orm_execute", self._on_execute)
        event.remove(session, "before_flush", self._before_flush)
        event.remove(session, "after_flush", self._on_flush)

    def watch_connection(self, connection: Connection) -> None:
        """Count what is sent below the ORM too (a Core or driver-level write)."""
        event.listen(connection, "before_cursor_execute", self._on_cursor)

    def unwatch_connection(self, connection: Connection) -> None:
        event.remove(connection, "before_cursor_execute", self._on_cursor)

    def _on_cursor(self, *args: Any) -> None:
        statement = args[2]
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            self.statements += 1

    def _on_execute(self, state: ORMExecuteState) -> None:
        self.write_behind(state.session)  # whatever this statement reads sees them
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            name = getattr(table, "name", None)
            self.written([name] if isinstance(name, str) else ["?"])
        elif not state.is_select:
            self.written(["?"])  # text or anything else: assume it wrote

    def _before_flush(self, session: Session, _flush: UOWTransaction, _objects: Any) -> None:
        self.write_behind(session)

    def _on_flush(self, session: Session, _flush: UOWTransaction) -> None:
        changed = [*session.new, *session.dirty, *session.deleted]
        if changed:
            self.written(table.name for obj in changed for table in inspect(obj).mapper.tables)


def has_changes(session: Session) -> bool:
    """Objects added, changed or deleted in the session and not flushed yet."""
    return bool(session.new or session.dirty or session.deleted)
