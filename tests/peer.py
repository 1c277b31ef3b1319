"""A stand-in remote server on 127.0.0.1 for tests: it serves actor and key documents the way
real servers do (in several forms), signs requests as its actors, and records every request it
receives, so a test can prove what was (or was not) fetched or delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import orjson
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from federation.keys import SigningKey, generate_private_key, public_key_to_pem
from federation.signatures import sign_request
from federation.vocab import ACTIVITY_JSON, AS_CONTEXT, SECURITY_CONTEXT
from tests.harness import free_socket

KeyForm = Literal["fragment", "document", "bare"]


@dataclass
class PeerActor:
    username: str
    uri: str
    key_id: str
    private_key: rsa.RSAPrivateKey
    key_form: KeyForm = "fragment"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey(key_id=self.key_id, private_key=self.private_key)

    def document(self, base_url: str) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@context": [AS_CONTEXT, SECURITY_CONTEXT],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.username,
            "name": self.username.title(),
            "inbox": f"{self.uri}/inbox",
            "outbox": f"{self.uri}/outbox",
            "followers": f"{self.uri}/followers",
            "endpoints": {"sharedInbox": f"{base_url}/inbox"},
            "publicKey": {
                "id": self.key_id,
                "owner": self.uri,
                "publicKeyPem": public_key_to_pem(self.private_key),
            },
            **self.extra,
        }
        return document


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class Peer:
    def __init__(self, port: int = 0) -> None:
        self.sock = free_socket(port)
        self.port = self.sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.host = f"127.0.0.1:{self.port}"
        self.actors: dict[str, PeerActor] = {}
        self.overrides: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
        self.requests: list[Received] = []
        self.inbox_status = 202
        self.inbox_delay = 0.0  # seconds a POST takes to answer
        self.inbox_drip = False  # answer POSTs one byte per second, forever
        self.software = "mastodon"  # what NodeInfo says this server runs

    def add_actor(
        self, username: str, *, key_form: KeyForm = "fragment", path: str = "", **extra: Any
    ) -> PeerActor:
        """An actor at /users/<username>, or at `path` (other software's URL shapes)."""
        uri = f"{self.base_url}{path or f'/users/{username}'}"
        key_id = {"fragment": f"{uri}#main-key", "document": f"{uri}/main-key", "bare": uri}[
            key_form
        ]
        actor = PeerActor(username, uri, key_id, generate_private_key(), key_form, dict(extra))
        self.actors[username] = actor
        return actor

    def rotate_key(self, actor: PeerActor) -> None:
        actor.private_key = generate_private_key()

    def fetches(self, path_prefix: str = "/") -> list[Received]:
        return [r for r in self.requests if r.method == "GET" and r.path.startswith(path_prefix)]

    def deliveries(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]

    def serve(
        self,
        path: str,
        document: Any,
        *,
        status: int = 200,
        content_type: str = ACTIVITY_JSON,
        headers: dict[str, str] | None = None,
    ) -> None:
        body = document if isinstance(document, bytes) else orjson.dumps(document)
        self.overrides[path] = (status, content_type, body, headers or {})

    def signed_post(
        self,
        actor: PeerActor,
        url: str,
        activity: dict[str, Any],
        now: datetime,
        key: SigningKey | None = None,
    ) -> tuple[dict[str, str], bytes]:
        body = orjson.dumps(activity)
        headers = sign_request(key or actor.signing_key, "POST", url, body, now)
        headers["content-type"] = ACTIVITY_JSON
        return headers, body

    # -- the server ----------------------------------------------------------------------------
    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        path = request.url.path
        self.requests.append(Received(request.method, path, dict(request.headers), body))
        if path in self.overrides:
            status, content_type, payload, headers = self.overrides[path]
            return Response(payload, status_code=status, media_type=content_type, headers=headers)
        if request.method == "POST":
            if self.inbox_delay:
                await asyncio.sleep(self.inbox_delay)
            if self.inbox_drip:
                return StreamingResponse(_drip(), status_code=self.inbox_status)
            return Response(status_code=self.inbox_status)
        if path == "/.well-known/nodeinfo":
            link = {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": f"{self.base_url}/nodeinfo/2.0",
            }
            return Response(orjson.dumps({"links": [link]}), media_type="application/json")
        if path == "/nodeinfo/2.0":
            return Response(
                orjson.dumps(
                    {"version": "2.0", "software": {"name": self.software, "version": "1"}}
                ),
                media_type="application/json",
            )
        if path == "/.well-known/webfinger":
            resource = request.query_params.get("resource", "").removeprefix("acct:")
            username, _, host = resource.partition("@")
            actor = self.actors.get(username)
            if actor is None or host != self.host:
                return Response(
                    b'{"error":"not found"}', status_code=404, media_type="application/json"
                )
            return Response(
                orjson.dumps(
                    {
                        "subject": f"acct:{username}@{self.host}",
                        "links": [{"rel": "self", "type": ACTIVITY_JSON, "href": actor.uri}],
                    }
                ),
                media_type="application/jrd+json",
            )
        for actor in self.actors.values():
            actor_path = actor.uri.removeprefix(self.base_url)
            if path == actor_path:
                return _json(actor.document(self.base_url))
            if actor.key_form == "document" and path == f"{actor_path}/main-key":
                return _json(
                    {
                        "@context": SECURITY_CONTEXT,
                        "id": actor.key_id,
                        "type": "Key",
                        "owner": actor.uri,
                        "publicKeyPem": public_key_to_pem(actor.private_key),
                    }
                )
        return Response(b'{"error":"not found"}', status_code=404, media_type="application/json")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Peer]:
        app = Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["GET", "POST"])])
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=2,
            )
        )
        task = asyncio.create_task(server.serve(sockets=[self.sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        try:
            yield self
        finally:
            server.should_exit = True
            await task
            self.sock.close()


async def _drip() -> AsyncIterator[bytes]:
    while True:
        yield b" "
        await asyncio.sleep(1.0)


def _json(document: dict[str, Any]) -> Response:
    return Response(orjson.dumps(document), media_type=ACTIVITY_JSON)


@asynccontextmanager
async def running_peer() -> AsyncIterator[Peer]:
    async with Peer().running() as peer:
        yield peer


def activity(
    actor: PeerActor, kind: str, obj: Any, *, suffix: str = "1", **extra: Any
) -> dict[str, Any]:
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor.uri}/activities/{kind.lower()}-{suffix}",
        "type": kind,
        "actor": actor.uri,
        "object": obj,
        **extra,
    }
