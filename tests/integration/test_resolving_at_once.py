"""Two requests signed by the same new actor can arrive at the same moment (a server fetching
two of our documents at once): both resolve the actor, and both get the one row, never an
error from the second insert (seen on PostgreSQL, where the two writes really overlap)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from actors.models import Actor
from actors.resolver import resolve_actor, resolve_key_owner
from tests.integration.inbox_support import Scene, scene

pytestmark = pytest.mark.db


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path) as sc:
        yield sc


async def test_an_actor_resolved_many_times_at_once_is_stored_once(s: Scene) -> None:
    svc = s.instance.svc
    for n in range(8):
        actor = s.peer.add_actor(f"newcomer{n}")
        found = await asyncio.gather(
            *(resolve_actor(svc, actor.uri) for _ in range(3)),
            *(resolve_key_owner(svc, actor.key_id) for _ in range(3)),
        )
        assert {a.id for a in found} == {found[0].id}, actor.uri
    async with svc.db.reader() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Actor).where(Actor.username.like("newcomer%"))
        )
    assert stored == 8
