"""Test databases: a SQLite file, or a fresh PostgreSQL schema in the `test` database.

`HAMBASTEGI_TEST_DATABASE=postgresql` selects PostgreSQL (`make test` runs the storage suite
on both); `HAMBASTEGI_TEST_POSTGRES_URL` overrides where it is.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from sqlalchemy import text

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
    """An empty database at the newest schema, dropped afterwards."""
    if engine_under_test() == "postgresql":
        schema = f"t_{name}_{secrets.token_hex(6)}"
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await conn.close()
        database = TestDatabase(url=POSTGRES_URL, schema=schema)
        try:
            await create_schema(database)
            yield database
        finally:
            conn = await asyncpg.connect(POSTGRES_URL)
            try:
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            finally:
                await conn.close()
    else:
        database = TestDatabase(url=f"sqlite:///{tmp_path / f'{name}.sqlite3'}", schema=None)
        await create_schema(database)
        yield database


async def create_schema(database: TestDatabase) -> None:
    """Tables from the models, stamped at head (a dedicated test proves migrations match)."""
    from core.config import normalise_database_url

    db = Database(normalise_database_url(database.url), schema=database.schema)
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
