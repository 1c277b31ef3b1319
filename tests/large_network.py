"""The large demo network (`hambastegi demo --size large`), built once and shared.

Building it runs the whole publishing path for 6,000 posts: minutes, and several times that
under coverage tracing. So it is built once per test session, by the first test that asks for
it, in a subprocess on SQLite (not traced), into a template directory (the database, written
whole by `VACUUM INTO`, and the media files). Each module that needs it then gets its own copy
on the engine under test: the SQLite file copied, or on PostgreSQL every row copied into a
fresh schema. `make test` gives both engines' runs one template directory
(`HAMBASTEGI_TEST_LARGE_DIR`), so the network is built once for the two of them; a lock file
makes the others wait for the one that builds.

    python -m tests.large_network DIRECTORY   # build the template there
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, func, select, text

from core.config import normalise_database_url
from hambastegi.models import metadata
from storage.database import Database
from tests.databases import TestDatabase, create_schema, engine_under_test, fresh_database
from tests.harness import Instance, asgi_instance, is_instance_setting

SHARED_DIRECTORY = "HAMBASTEGI_TEST_LARGE_DIR"
DATABASE = "large.sqlite3"
MEDIA = "media"
NAME = "a"  # the instance's name in `asgi_instance`: its data directory is tmp_path / NAME
ROWS_PER_INSERT = 2_000


async def build(directory: Path) -> None:
    """Build the large network on SQLite and leave it in `directory` (database and media)."""
    from cli.demo_large import seed_large

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        database = TestDatabase(url=f"sqlite:///{work / 'build.sqlite3'}", schema=None)
        await create_schema(database)
        async with asgi_instance(work, name=NAME, database=database) as instance:
            await seed_large(instance.svc)
        part = directory / f"{DATABASE}.part"
        part.unlink(missing_ok=True)
        with closing(sqlite3.connect(work / "build.sqlite3")) as built:
            built.execute("VACUUM INTO ?", (str(part),))
        media = work / NAME / MEDIA
        if media.is_dir():
            shutil.copytree(media, directory / MEDIA, dirs_exist_ok=True)
    part.rename(directory / DATABASE)  # whole, or not there


def template(fallback: Path) -> Path:
    """The template directory, built by this process or waited for while another builds it."""
    directory = Path(os.environ.get(SHARED_DIRECTORY) or fallback)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / DATABASE).exists():
            env = {k: v for k, v in os.environ.items() if not is_instance_setting(k)}
            subprocess.run(  # this interpreter, a module of ours
                [sys.executable, "-m", "tests.large_network", str(directory)],
                env=env,
                check=True,
            )
    return directory


@asynccontextmanager
async def large_instance(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Instance]:
    """An instance (in-process) holding its own copy of the large network."""
    session = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        session = session.parent  # the run's directory, above each worker's
    source = await asyncio.to_thread(template, session / "large-network")
    tmp_path = tmp_path_factory.mktemp("large")
    if (source / MEDIA).is_dir():
        shutil.copytree(source / MEDIA, tmp_path / NAME / MEDIA)
    if engine_under_test() == "postgresql":
        async with fresh_database(tmp_path, "large") as database:
            await copy_rows(source / DATABASE, database)
            async with asgi_instance(tmp_path, name=NAME, database=database) as instance:
                yield instance
    else:
        copy = tmp_path / DATABASE
        shutil.copyfile(source / DATABASE, copy)
        database = TestDatabase(url=f"sqlite:///{copy}", schema=None)
        async with asgi_instance(tmp_path, name=NAME, database=database) as instance:
            yield instance


async def copy_rows(source: Path, database: TestDatabase) -> None:
    """Every row of the SQLite database at `source` into the (empty, migrated) PostgreSQL one,
    table by table in the order of their foreign keys, each read and written through the
    models' own column types; then the search index, and each id sequence moved past its
    largest id."""
    reader = Database(normalise_database_url(f"sqlite:///{source}"))
    writer = Database(normalise_database_url(database.url), schema=database.schema)
    try:
        async with reader.connect() as read, writer.connect() as write:
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                result = await read.execute(select(table).order_by(*order))
                rows: list[dict[str, Any]] = [dict(row._mapping) for row in result]
                for start in range(0, len(rows), ROWS_PER_INSERT):
                    await write.execute(table.insert(), rows[start : start + ROWS_PER_INSERT])
                ids = [c for c in table.primary_key.columns if isinstance(c.type, Integer)]
                if len(ids) == 1 and rows:
                    column = ids[0].name
                    await write.execute(
                        text("SELECT setval(pg_get_serial_sequence(:table, :column), :largest)"),
                        {
                            "table": table.name,
                            "column": column,
                            "largest": max(row[column] for row in rows),
                        },
                    )
            indexed = (await read.execute(text("SELECT post_id, body FROM post_search"))).all()
            for start in range(0, len(indexed), ROWS_PER_INSERT):
                await write.execute(
                    text("INSERT INTO post_search (post_id, body) VALUES (:post_id, :body)"),
                    [
                        {"post_id": p, "body": b}
                        for p, b in indexed[start : start + ROWS_PER_INSERT]
                    ],
                )
            copied = await write.scalar(select(func.count()).select_from(metadata.tables["posts"]))
            assert copied, "the large network's posts were not copied"
    finally:
        await reader.dispose()
        await writer.dispose()


if __name__ == "__main__":
    asyncio.run(build(Path(sys.argv[1])))
