"""The migrations build exactly the schema the models describe, on this engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from core.config import normalise_database_url
from hambastegi.migrate import alembic_config, current_revision, head_revision, upgrade
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


async def test_the_sqlite_search_index_is_keyed_by_post_id_after_upgrading(
    tmp_path: Path,
) -> None:
    """0020: entries written before it (rowids in the order written) are keyed by post id."""
    if engine_under_test() != "sqlite":
        pytest.skip("PostgreSQL's search table has the post id as its primary key already")
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
    config = alembic_config()

    def upgrade_to(revision: str) -> Callable[[Any], None]:
        def run(sync_conn: Any) -> None:
            config.attributes["connection"] = sync_conn
            command.upgrade(config, revision)

        return run

    try:
        async with db.connect() as conn:
            await conn.run_sync(upgrade_to("0019"))
            for post_id, body in ((7, "اعتصاب نفت"), (3, "teachers strike")):
                await conn.execute(
                    text("INSERT INTO post_search (post_id, body) VALUES (:id, :body)"),
                    {"id": post_id, "body": body},
                )
            await conn.run_sync(upgrade_to("head"))
            rows = list(
                await conn.execute(text("SELECT rowid, post_id, body FROM post_search ORDER BY 1"))
            )
    finally:
        await db.dispose()

    assert [tuple(r) for r in rows] == [(3, 3, "teachers strike"), (7, 7, "اعتصاب نفت")]
