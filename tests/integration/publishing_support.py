"""Helpers for publishing tests: an organisation with a remote follower on the peer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from actors.models import Actor, Follow, FollowState
from actors.resolver import resolve_actor
from hambastegi.workers import inbox_worker
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Post
from outbox.posts import create_post
from outbox.worker import DeliveryWorker
from tests.integration.inbox_support import Scene, scene
from tests.peer import Received


@dataclass
class Newsroom:
    s: Scene

    async def union(self) -> Actor:
        async with self.s.instance.svc.db.reader() as session:
            actor = await session.scalar(select(Actor).where(Actor.uri == self.s.union_uri))
        assert actor is not None
        return actor

    async def publish(
        self, kind: PostKind = PostKind.note, body: str = "Hello", **fields: Any
    ) -> Post:
        draft = Draft(kind=kind, body=body, language=fields.pop("language", "en"), **fields)
        return await create_post(self.s.instance.svc, await self.union(), draft)

    async def deliver(self) -> list[Received]:
        """Run the workers; return what the peer received since the last call."""
        before = len(self.s.peer.deliveries())
        await inbox_worker(self.s.instance.svc).run_once()
        await DeliveryWorker(self.s.instance.svc).run_once()
        return self.s.peer.deliveries()[before:]


@asynccontextmanager
async def newsroom(tmp_path: Path, **overrides: Any) -> AsyncIterator[Newsroom]:
    """Our `union`, followed by `alice` on the peer (shared inbox `/inbox`)."""
    async with scene(tmp_path, **overrides) as s:
        alice = await resolve_actor(s.instance.svc, s.alice.uri)
        room = Newsroom(s)
        union = await room.union()
        async with s.instance.svc.db.transaction() as session:
            session.add(
                Follow(
                    follower_id=alice.id,
                    followed_id=union.id,
                    state=FollowState.accepted.value,
                    created_at=s.instance.svc.clock.now(),
                )
            )
        yield room
