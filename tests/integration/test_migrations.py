"""The migrations build exactly the schema the models describe, on this engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.config import normalise_database_url
from hambastegi.migrate import current_revision, head_revision, upgrade
from hambastegi.models import metadata
from hambastegi.schema import HEAD_REVISION
from storage.database import Database
from storage.search import SEARCH_TABLES
from tests.databases import engine_under_test, fresh_database


def outside_the_search_index(name: str | None, type_: str, parent: Any) -> bool:
    """The full-text index is made by raw DDL (storage/search.py), not by the models."""
    return not (name in SEARCH_TABLES or name == "ix_post_search_tsv")


async def test_migrations_reach_head_and_match_the_models(tmp_path: Path) -> None:
    async with fresh_database(tmp_path, "mig") as database:
        db = Database(normalise_database_url(database.url), schema=database.schema)
        try:
            async with db.connect() as conn:
                await conn.exec_driver_sql("DROP TABLE IF EXISTS post_search")
                await conn.run_sync(lambda c: metadata.drop_all(c))
                await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            await upgrade(db)

            async with db.connect() as conn:

                def diff(sync_conn: Any) -> list[Any]:
                    context = MigrationContext.configure(
                        sync_conn,
                        opts={"compare_type": True, "include_name": outside_the_search_index},
                    )
                    return list(compare_metadata(context, metadata))

                differences = await conn.run_sync(diff)
            revision = await current_revision(db)
        finally:
            await db.dispose()

    assert revision == head_revision() == HEAD_REVISION  # what start-up checks against
    assert differences == [], (
        f"models and migrations differ on {engine_under_test()}: {differences}"
    )
