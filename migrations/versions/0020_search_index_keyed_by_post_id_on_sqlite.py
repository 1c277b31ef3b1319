"""search index keyed by post id on SQLite

On SQLite the FTS5 index kept the post's id in an unindexed column, so replacing a post's entry
(every publish and edit) scanned the whole index. Its rowid is now the post's id: the row is
found at once. PostgreSQL's table has the post id as its primary key already.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 13:34:47.394870
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    rows = bind.execute(sa.text("SELECT post_id, body FROM post_search")).fetchall()
    bind.execute(sa.text("DELETE FROM post_search"))
    for post_id, body in rows:
        bind.execute(
            sa.text("INSERT INTO post_search (rowid, post_id, body) VALUES (:id, :id, :body)"),
            {"id": int(post_id), "body": body},
        )


def downgrade() -> None:
    pass  # rows keyed by post id are still found by the older code (by its column)
