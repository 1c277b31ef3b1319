"""Incoming Object Integrity Proofs: an activity whose eddsa-jcs-2022 proof verifies with the
Multikey its sender publishes is accepted; one whose proof does not verify is refused with the
reason, even though its HTTP signature is good. Ours carry a proof, and our actors publish the
key (the Fedify interop tests check both directions against an independent implementation)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from federation.proofs import load_multibase, multikey, sign, verify
from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity
from outbox.models import OutboxActivity
from tests.integration.inbox_support import Scene, scene
from tests.peer import PeerActor

pytestmark = pytest.mark.db
KEY = Ed25519PrivateKey.generate()


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path) as sc:
        yield sc


def carol(s: Scene) -> PeerActor:
    uri = f"{s.peer.base_url}/users/carol"
    return s.peer.add_actor(
        "carol", assertionMethod=[multikey(uri, f"{uri}#ed25519", KEY.public_key())]
    )


async def outcomes(s: Scene) -> list[tuple[str, str | None]]:
    async with s.instance.svc.db.reader() as session:
        rows = await session.execute(select(ReceivedActivity.state, ReceivedActivity.error))
        return [(str(state), error) for state, error in rows]


async def test_a_good_proof_is_accepted_and_a_bad_one_refused(s: Scene) -> None:
    sender = carol(s)
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.uri}/follows/1",
        "type": "Follow",
        "actor": sender.uri,
        "object": s.union_uri,
    }
    good = sign(follow, KEY, f"{sender.uri}#ed25519")
    bad = sign(
        {**follow, "id": f"{sender.uri}/follows/2"},
        Ed25519PrivateKey.generate(),
        f"{sender.uri}#ed25519",
    )

    assert (await s.post_signed(good, actor=sender)).status_code == 202
    assert (await s.post_signed(bad, actor=sender)).status_code == 202
    await inbox_worker(s.instance.svc).run_once()

    found = dict(await outcomes(s))
    assert sorted(found) == ["ignored", "processed"]
    assert "integrity proof does not verify" in str(found["ignored"])


async def test_what_we_send_carries_a_proof_our_actor_document_lets_anyone_check(s: Scene) -> None:
    await s.post_signed(s.follow())
    await inbox_worker(s.instance.svc).run_once()
    async with s.instance.svc.db.reader() as session:
        accept = await session.scalar(select(OutboxActivity).where(OutboxActivity.type == "Accept"))
    assert accept is not None
    actor = (
        await s.instance.http.get(s.union_uri, headers={"Accept": "application/activity+json"})
    ).json()
    [key] = actor["assertionMethod"]

    assert accept.document["proof"]["verificationMethod"] == key["id"]
    verify(accept.document, load_multibase(key["publicKeyMultibase"]))
