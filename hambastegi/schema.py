"""The schema revision this code needs, and the start-up check. Alembic (about 8 MB resident)
is loaded only when there is migrating to do; a test keeps HEAD_REVISION equal to the newest
migration, and `make migration` updates it."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from storage.database import Database

HEAD_REVISION = "0020"


class SchemaOutOfDate(Exception):
    """The database is behind the code; `hambastegi migrate` brings it up to date."""


async def stored_revision(db: Database) -> str | None:
    """The revision recorded in the database (None when it was never migrated)."""
    try:
        async with db.connect() as conn:
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except SQLAlchemyError:
        return None


async def ensure_schema(db: Database) -> None:
    """SQLite is migrated in place; PostgreSQL must already be at head (`hambastegi migrate`)."""
    current = await stored_revision(db)
    if current == HEAD_REVISION:
        return
    if db.is_sqlite:
        from hambastegi.migrate import upgrade  # noqa: PLC0415 - Alembic only when needed

        await upgrade(db)
        return
    raise SchemaOutOfDate(
        f"the database schema is at {current or 'nothing'}, the code needs {HEAD_REVISION}: "
        "run `hambastegi migrate`"
    )
