"""`serve --workers N` starts N processes at once on one database: on a fresh database every
one of them starts, and the instance is prepared once (one base URL, one instance actor)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

from sqlalchemy import func, select

from actors.models import Actor, ActorKind
from core.config import Settings
from hambastegi.instance import prepare_instance
from hambastegi.wiring import instance_services
from storage.meta import InstanceMeta
from tests import databases


async def test_processes_starting_at_once_on_a_fresh_database_all_start(
    database: databases.TestDatabase, tmp_path: Path
) -> None:
    settings = Settings.for_tests(
        base_url="http://127.0.0.1:8700",
        data_dir=tmp_path / "a",
        database_url=database.url,
        database_schema=database.schema,
    )
    async with AsyncExitStack() as stack:
        # Each with its own engine and connections, as separate processes have.
        starting = [await stack.enter_async_context(instance_services(settings)) for _ in range(4)]

        await asyncio.gather(*(prepare_instance(svc) for svc in starting))

        async with starting[0].db.reader() as session:
            base_urls = await session.scalars(
                select(InstanceMeta.value).where(InstanceMeta.key == "base_url")
            )
            instance_actors = await session.scalar(
                select(func.count()).select_from(Actor).where(Actor.kind == ActorKind.instance)
            )
    assert list(base_urls) == ["http://127.0.0.1:8700"]
    assert instance_actors == 1
