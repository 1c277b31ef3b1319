"""Authorized-fetch mode: ActivityPub GETs must be signed; unsigned peers get only the key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from actors.domains import set_policy
from actors.models import DomainPolicyKind
from federation.signatures import sign_request
from tests.integration.inbox_support import Scene, scene

AS = {"Accept": "application/activity+json"}


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path, authorized_fetch=True) as sc:
        yield sc


async def signed_get(s: Scene, path: str) -> int:
    headers = sign_request(
        s.alice.signing_key, "GET", f"{s.instance.base_url}{path}", None, datetime.now(UTC)
    )
    response = await s.instance.http.get(path, headers={**AS, **headers})
    return response.status_code


async def test_unsigned_actor_fetch_gets_only_the_minimal_document(s: Scene) -> None:
    doc = (await s.instance.http.get("/actors/union", headers=AS)).json()

    assert doc["publicKey"]["owner"] == doc["id"]
    assert doc["inbox"].endswith("/inbox")
    assert "followers" not in doc
    assert "summary" not in doc


async def test_signed_actor_fetch_gets_the_whole_document(s: Scene) -> None:
    headers = sign_request(
        s.alice.signing_key, "GET", f"{s.instance.base_url}/actors/union", None, datetime.now(UTC)
    )

    doc = (await s.instance.http.get("/actors/union", headers={**AS, **headers})).json()

    assert "followers" in doc
    assert "summary" in doc


@pytest.mark.parametrize(
    "path", ["/actors/union/followers", "/actors/union/following", "/actors/union/followers?page=1"]
)
async def test_unsigned_collection_fetches_are_401(s: Scene, path: str) -> None:
    assert (await s.instance.http.get(path, headers=AS)).status_code == 401


@pytest.mark.parametrize("path", ["/actors/union/followers", "/actors/union/following"])
async def test_signed_collection_fetches_succeed(s: Scene, path: str) -> None:
    assert await signed_get(s, path) == 200


async def test_a_bad_signature_on_a_fetch_is_401(s: Scene) -> None:
    headers = sign_request(
        s.alice.signing_key, "GET", f"{s.instance.base_url}/actors/other", None, datetime.now(UTC)
    )

    response = await s.instance.http.get("/actors/union/followers", headers={**AS, **headers})

    assert response.status_code == 401


async def test_a_blocked_server_cannot_fetch_even_when_signed(s: Scene) -> None:
    async with s.instance.svc.db.transaction() as session:
        await set_policy(session, s.instance.svc.clock, "127.0.0.1", DomainPolicyKind.block)

    assert await signed_get(s, "/actors/union/followers") == 403


async def test_the_instance_actor_is_always_public(s: Scene) -> None:
    doc = (await s.instance.http.get("/actor", headers=AS)).json()

    assert doc["type"] == "Application"


async def test_discovery_stays_open(s: Scene) -> None:
    response = await s.instance.http.get(
        "/.well-known/webfinger", params={"resource": f"acct:union@{s.instance.host}"}
    )

    assert response.status_code == 200
