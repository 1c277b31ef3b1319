"""Full-text search of our posts: SQLite FTS5, or PostgreSQL `to_tsvector('simple', …)`.

The `simple` configuration and FTS5's `unicode61` tokenizer split on Unicode word boundaries and
do no stemming, so Persian, Arabic, Kurdish, Turkish, English and French are all searchable.
The index lives outside the ORM models; `create_search_index` is run by the migration.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS post_search "
    "USING fts5(post_id UNINDEXED, body, tokenize='unicode61')",
]
POSTGRES_DDL = [
    "CREATE TABLE IF NOT EXISTS post_search (post_id INTEGER PRIMARY KEY "
    "REFERENCES posts(id) ON DELETE CASCADE, body TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_post_search_tsv ON post_search "
    "USING gin (to_tsvector('simple', body))",
]
SEARCH_TABLES = frozenset(
    {
        "post_search",
        "post_search_data",
        "post_search_idx",
        "post_search_content",
        "post_search_docsize",
        "post_search_config",
    }
)
MAX_TERMS = 12


def create_search_index(connection: Any) -> None:
    """Create the index tables (a synchronous connection, from a migration or the tests)."""
    statements = SQLITE_DDL if connection.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_search_index(connection: Any) -> None:
    connection.exec_driver_sql("DROP TABLE IF EXISTS post_search")


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def index_post(session: AsyncSession, post_id: int, body: str) -> None:
    """Index (or index again) a post's words. On SQLite the entry's rowid is the post's id,
    so replacing it is a look-up, not a scan of the whole index."""
    await remove_post(session, post_id)
    insert = (
        "INSERT INTO post_search (rowid, post_id, body) VALUES (:id, :id, :body)"
        if _dialect(session) == "sqlite"
        else "INSERT INTO post_search (post_id, body) VALUES (:id, :body)"
    )
    await session.execute(text(insert), {"id": post_id, "body": body})


async def remove_post(session: AsyncSession, post_id: int) -> None:
    column = "rowid" if _dialect(session) == "sqlite" else "post_id"
    await session.execute(text(f"DELETE FROM post_search WHERE {column} = :id"), {"id": post_id})  # noqa: S608 - a fixed column name


def _terms(query: str) -> list[str]:
    return [t for t in re.findall(r"\w[\w\u200c'-]*", query) if t][:MAX_TERMS]


async def search_posts(session: AsyncSession, query: str, *, limit: int = 50) -> list[int]:
    """Post ids matching every word of `query`, best first; [] for an empty query."""
    terms = _terms(query)
    if not terms:
        return []
    if _dialect(session) == "sqlite":
        match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = await session.execute(
            text(
                "SELECT post_id FROM post_search WHERE post_search MATCH :q ORDER BY rank LIMIT :n"
            ),
            {"q": match, "n": limit},
        )
    else:
        rows = await session.execute(
            text(
                "SELECT post_id FROM post_search "
                "WHERE to_tsvector('simple', body) @@ plainto_tsquery('simple', :q) "
                "ORDER BY ts_rank(to_tsvector('simple', body), plainto_tsquery('simple', :q)) DESC "
                "LIMIT :n"
            ),
            {"q": " ".join(terms), "n": limit},
        )
    return [int(r[0]) for r in rows]
