"""Helpers for inbox tests: an instance with one organisation, a peer server, signed posts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from federation.signatures import sign_request
from federation.vocab import ACTIVITY_JSON
from inbox.models import ReceivedActivity
from tests.factories import make_actor
from tests.harness import Instance, asgi_instance
from tests.peer import Peer, PeerActor, running_peer


@dataclass
class Scene:
    instance: Instance
    peer: Peer
    alice: PeerActor  # a remote person on the peer
    union_uri: str  # our organisation

    @property
    def inbox_url(self) -> str:
        return f"{self.instance.base_url}/inbox"

    def follow(self, suffix: str = "1") -> dict[str, Any]:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.alice.uri}/follows/{suffix}",
            "type": "Follow",
            "actor": self.alice.uri,
            "object": self.union_uri,
        }

    async def post_signed(
        self,
        document: dict[str, Any] | bytes,
        *,
        actor: PeerActor | None = None,
        path: str = "/inbox",
        now: datetime | None = None,
        tamper: dict[str, str] | None = None,
        drop: tuple[str, ...] = (),
    ) -> httpx.Response:
        signer = actor or self.alice
        body = document if isinstance(document, bytes) else orjson.dumps(document)
        url = f"{self.instance.base_url}{path}"
        headers = sign_request(signer.signing_key, "POST", url, body, now or datetime.now(UTC))
        headers["content-type"] = ACTIVITY_JSON
        headers.update(tamper or {})
        for name in drop:
            headers.pop(name, None)
        return await self.instance.http.post(path, content=body, headers=headers)

    async def stored(self) -> int:
        async with self.instance.svc.db.reader() as session:
            return await session.scalar(select(func.count()).select_from(ReceivedActivity)) or 0


@asynccontextmanager
async def scene(tmp_path: Path, **overrides: Any) -> AsyncIterator[Scene]:
    async with running_peer() as peer, asgi_instance(tmp_path, **overrides) as instance:
        alice = peer.add_actor("alice")
        union = await make_actor(instance.svc, "union")
        yield Scene(instance=instance, peer=peer, alice=alice, union_uri=union.uri)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
