"""Write a new Alembic revision by comparing the models with a scratch SQLite database at head.

Usage: python scripts/new_migration.py "what changed"   (what `make migration name=...` runs)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command

from hambastegi.migrate import alembic_config, upgrade
from storage.database import Database


async def main(message: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.sqlite3'}")
        await upgrade(db)
        config = alembic_config()
        config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
        versions = Path(config.get_main_option("script_location") or ".") / "versions"
        rev_id = f"{len(list(versions.glob('[0-9][0-9][0-9][0-9]_*.py'))) + 1:04d}"
        async with db.connect() as conn:

            def _revise(sync_conn: Any) -> None:
                config.attributes["connection"] = sync_conn
                command.revision(config, message=message, autogenerate=True, rev_id=rev_id)

            await conn.run_sync(_revise)
        await db.dispose()
    return rev_id


def record_head(rev_id: str) -> None:
    """Start-up compares the database with HEAD_REVISION (hambastegi/schema.py): keep it true."""
    schema = Path(__file__).resolve().parent.parent / "hambastegi" / "schema.py"
    text = schema.read_text(encoding="utf-8")
    start = text.index('HEAD_REVISION = "')
    end = text.index('"', start + len('HEAD_REVISION = "'))
    schema.write_text(f'{text[:start]}HEAD_REVISION = "{rev_id}{text[end:]}', encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].strip():
        raise SystemExit('usage: python scripts/new_migration.py "what changed"')
    record_head(asyncio.run(main(sys.argv[1])))
