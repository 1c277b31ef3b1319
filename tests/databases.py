"""Test databases: a SQLite file, or a fresh PostgreSQL schema in the `test` database.

`HAMBASTEGI_TEST_DATABASE=postgresql` selects PostgreSQL (`make test` runs the storage suite
on both); `HAMBASTEGI_TEST_POSTGRES_URL` overrides where it is.

Every test gets its own empty database at the newest schema, about a thousand a run. Making one
from the models (`create_schema`: the tables, the search index, the Alembic stamp) took 0.12 s
on SQLite and 0.4 s on PostgreSQL, most of it in Python. So each test process makes one
template the long way, and then copies it: the SQLite file; on PostgreSQL, the statements that
made it, recorded and replayed into the new schema in one round trip.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from sqlalchemy import event, text

from hambastegi.migrate import alembic_config
from hambastegi.models import metadata
from storage.database import Database
from storage.search import create_search_index

POSTGRES_URL = os.environ.get(
    "HAMBASTEGI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def engine_under_test() -> str:
    return os.environ.get("HAMBASTEGI_TEST_DATABASE", "sqlite")


@dataclass(frozen=True)
class TestDatabase:
    url: str
    schema: str | None


@asynccontextmanager
async def fresh_database(tmp_path: Path, name: str = "db") -> AsyncIterator[TestDatabase]:
    """An empty database at the newest schema (a copy of this process's template), dropped
    afterwards."""
    template = await asyncio.to_thread(_templates.get, engine_under_test())
    if engine_under_test() == "postgresql":
        schema = f"t_{name}_{secrets.token_hex(6)}"
        conn = await asyncpg.connect(POSTGRES_URL)
        try:  # one transaction: the schema is whole or not there
            await conn.execute(
                f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"; {template}'
            )
        finally:
            await conn.close()
        try:
            yield TestDatabase(url=POSTGRES_URL, schema=schema)
        finally:
            conn = await asyncpg.connect(POSTGRES_URL)
            try:
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            finally:
                await conn.close()
    else:
        path = tmp_path / f"{name}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copyfile, template, path)
        yield TestDatabase(url=f"sqlite:///{path}", schema=None)


class _Templates:
    """Each engine's template, made on first use by this process: for SQLite the path of a
    database file (removed at exit), for PostgreSQL the SQL that makes the schema."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[str, str] = {}

    def get(self, engine: str) -> str:
        with self._lock:
            if engine not in self._made:
                self._made[engine] = asyncio.run(self._make(engine))
            return self._made[engine]

    @staticmethod
    async def _make(engine: str) -> str:
        if engine != "postgresql":
            directory = tempfile.mkdtemp(prefix="hambastegi-template-")
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            path = os.path.join(directory, "template.sqlite3")
            await create_schema(TestDatabase(url=f"sqlite:///{path}", schema=None))
            return path
        schema = f"t_template_{secrets.token_hex(6)}"
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            statements: list[str] = []
            try:
                await create_schema(TestDatabase(url=POSTGRES_URL, schema=schema), statements)
            finally:
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()
        return ";\n".join(statements)


_templates = _Templates()


async def create_schema(database: TestDatabase, record: list[str] | None = None) -> None:
    """Tables from the models, stamped at head (a dedicated test proves migrations match).
    With `record`, every statement that changed the database is appended to it (they take
    no parameters: DDL, and Alembic's stamp with its revision written in)."""
    from core.config import normalise_database_url

    db = Database(normalise_database_url(database.url), schema=database.schema)
    if record is not None:

        @event.listens_for(db.write_engine.sync_engine, "before_cursor_execute")
        def _record(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
            if not statement.lstrip().upper().startswith("SELECT"):
                assert not parameters, f"a statement with parameters: {statement}"
                record.append(statement)

    try:
        async with db.connect() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(create_search_index)
            config = alembic_config()

            def _stamp(sync_conn: Any) -> None:
                config.attributes["connection"] = sync_conn
                command.stamp(config, "head")

            await conn.run_sync(_stamp)
            if db.is_sqlite:
                await conn.execute(text("PRAGMA journal_mode=WAL"))
    finally:
        await db.dispose()


async def postgres_reachable() -> bool:
    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True
