"""A batch's memo: answers read inside one `Database.batch()`, kept until a write could change them.

The inbox worker's fast lane asks the same questions of the database for activity after
activity (who is this actor, is it a member, does one of ours follow it). Inside one batch
those answers stand until something is written, so the batch keeps them here. The memo is
emptied as soon as the batch writes to any table other than the ones its owner names as
irrelevant (`keeps_through`: the inbox's own bookkeeping and the posts it stores), and when a
savepoint of the batch that changed anything rolls back (its objects are expired then). A memo
is never shared between batches or tasks.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from sqlalchemy import Connection, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction


class BatchMemo:
    def __init__(self, keeps_through: Iterable[str] = ()) -> None:
        self.keeps_through = frozenset(keeps_through)
        self._answers: dict[Hashable, Any] = {}
        self.writes = 0  # statements and flushes that changed something, kept tables too
        self.statements = 0  # every statement but SELECT sent on the batch's connection

    def get(self, key: Hashable) -> Any | None:
        return self._answers.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep an answer (None is never kept: it reads as "not known")."""
        if value is not None:
            self._answers[key] = value

    def clear(self) -> None:
        self._answers.clear()

    def written(self, tables: Iterable[str]) -> None:
        self.writes += 1
        if not set(tables) <= self.keeps_through:
            self.clear()

    # -- watching a session ------------------------------------------------------------------

    def watch(self, session: Session) -> None:
        event.listen(session, "do_orm_execute", self._on_execute)
        event.listen(session, "after_flush", self._on_flush)

    def unwatch(self, session: Session) -> None:
        event.remove(session, "do_orm_execute", self._on_execute)
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
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            name = getattr(table, "name", None)
            self.written([name] if isinstance(name, str) else ["?"])
        elif not state.is_select:
            self.written(["?"])  # text or anything else: assume it wrote

    def _on_flush(self, session: Session, _flush: UOWTransaction) -> None:
        changed = [*session.new, *session.dirty, *session.deleted]
        if changed:
            self.written(table.name for obj in changed for table in inspect(obj).mapper.tables)


def has_changes(session: Session) -> bool:
    """Objects added, changed or deleted in the session and not flushed yet."""
    return bool(session.new or session.dirty or session.deleted)
