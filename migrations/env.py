"""Alembic environment: migrations run on a connection handed over by `hambastegi.migrate`."""

from __future__ import annotations

from alembic import context

from hambastegi.models import metadata
from storage.search import SEARCH_TABLES

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `hambastegi migrate`, which supplies the connection")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The full-text index is raw DDL (storage/search.py): autogenerate leaves it alone."""
    return not (name in SEARCH_TABLES or name == "ix_post_search_tsv")


context.configure(
    connection=connection,
    target_metadata=metadata,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
