"""The inbox refuses what it cannot verify, and stores nothing when it refuses.

Each case asserts the status code and that no activity was stored; cases about keys also check
what the remote server saw (a fetch, or no fetch at all).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms
from sqlalchemy import select

from actors.domains import set_policy
from actors.models import DomainPolicyKind
from federation.keys import SigningKey
from federation.signatures import sign_request
from inbox.models import ReceivedActivity
from tests.integration.inbox_support import Scene, hours, scene
from tests.peer import PeerActor

# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path) as sc:
        yield sc


def resign(
    headers: dict[str, str],
    key: SigningKey,
    *,
    names: str,
    lines: list[str],
    algorithm: str | None = "rsa-sha256",
    extra: str = "",
) -> None:
    """Replace the Signature header with one over exactly `lines`, listing `names`."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = key.private_key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    algo = f'algorithm="{algorithm}",' if algorithm else ""
    headers["signature"] = (
        f'keyId="{key.key_id}",{algo}headers="{names}",{extra}'
        f'signature="{base64.b64encode(signature).decode()}"'
    )


async def post_raw(s: Scene, body: bytes, headers: dict[str, str], path: str = "/inbox") -> int:
    response = await s.instance.http.post(path, content=body, headers=headers)
    return response.status_code


def signed(
    s: Scene,
    document: dict[str, Any],
    *,
    now: datetime | None = None,
    actor: PeerActor | None = None,
    url: str | None = None,
) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(document)
    signer = actor or s.alice
    headers = sign_request(
        signer.signing_key, "POST", url or s.inbox_url, body, now or datetime.now(UTC)
    )
    headers["content-type"] = "application/activity+json"
    return body, headers


# -- a valid request is the control ------------------------------------------------------------


async def test_a_correctly_signed_follow_is_accepted_and_stored(s: Scene) -> None:
    response = await s.post_signed(s.follow())

    assert response.status_code == 202
    assert await s.stored() == 1


async def test_a_date_61_minutes_old_is_still_accepted_as_mastodon_does(s: Scene) -> None:
    response = await s.post_signed(s.follow(), now=datetime.now(UTC) - timedelta(minutes=61))

    assert response.status_code == 202


async def test_missing_algorithm_is_treated_as_hs2019_and_accepted(s: Scene) -> None:
    body, headers = signed(s, s.follow())
    headers["signature"] = headers["signature"].replace('algorithm="rsa-sha256",', "")

    assert await post_raw(s, body, headers) == 202


async def test_a_replayed_request_is_stored_once(s: Scene) -> None:
    body, headers = signed(s, s.follow())

    first, second = await post_raw(s, body, headers), await post_raw(s, body, headers)

    assert (first, second) == (202, 202)
    assert await s.stored() == 1


# -- signatures: refused with 401, nothing stored ----------------------------------------------


def _drop_signature(h: dict[str, str]) -> None:
    h.pop("signature")


def _unterminated(h: dict[str, str]) -> None:
    h["signature"] = h["signature"][:-1]


def _no_key_id(h: dict[str, str]) -> None:
    h["signature"] = h["signature"].split(",", 1)[1]


def _algorithm(name: str) -> Any:
    def change(h: dict[str, str]) -> None:
        h["signature"] = h["signature"].replace('algorithm="rsa-sha256"', f'algorithm="{name}"')

    return change


def _header(name: str, value: str) -> Any:
    def change(h: dict[str, str]) -> None:
        h[name] = value

    return change


def _digest_of(body: bytes, algorithm: str = "sha256") -> str:
    return base64.b64encode(hashlib.new(algorithm, body).digest()).decode()


SIGNATURE_CASES = {
    "no Signature header": _drop_signature,
    "unterminated quote in Signature": _unterminated,
    "Signature without keyId": _no_key_id,
    "algorithm hmac-sha256": _algorithm("hmac-sha256"),
    "algorithm rsa-sha1": _algorithm("rsa-sha1"),
    "signature bytes not base64": _header("signature", 'keyId="x",headers="date",signature="%%%"'),
    "Digest does not match the body": _header("digest", "SHA-256=" + _digest_of(b"other body")),
    "Digest offers only SHA-512": _header("digest", "SHA-512=" + _digest_of(b"x", "sha512")),
    "Digest not base64": _header("digest", "SHA-256=not*base64"),
    "Digest of the wrong length": _header(
        "digest", "SHA-256=" + base64.b64encode(b"short").decode()
    ),
    "Date unparsable": _header("date", "yesterday at noon"),
    "Host is someone else's": _header("host", "elsewhere.example"),
}


@pytest.mark.parametrize("mutate", SIGNATURE_CASES.values(), ids=SIGNATURE_CASES.keys())
async def test_bad_signatures_are_401_and_nothing_is_stored(s: Scene, mutate: Any) -> None:
    body, headers = signed(s, s.follow())
    mutate(headers)

    assert await post_raw(s, body, headers) == 401
    assert await s.stored() == 0


async def test_a_body_changed_after_signing_is_refused(s: Scene) -> None:
    body, headers = signed(s, s.follow())
    tampered = body.replace(b"follows/1", b"follows/2")

    assert await post_raw(s, tampered, headers) == 401
    assert await s.stored() == 0


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ("(request-target) host date", "digest unsigned on POST"),
        ("host date digest", "(request-target) unsigned"),
        ("(request-target) date digest", "host unsigned"),
        ("(request-target) host digest", "neither date nor (created) signed"),
    ],
)
async def test_weak_signatures_are_refused(s: Scene, names: str, reason: str) -> None:
    body, headers = signed(s, s.follow())
    values = {"(request-target)": "post /inbox", **headers}
    lines = [f"{n}: {values[n]}" for n in names.split()]
    resign(headers, s.alice.signing_key, names=names, lines=lines)

    assert await post_raw(s, body, headers) == 401, reason
    assert await s.stored() == 0


@pytest.mark.parametrize(
    "offset", [hours(-2), hours(2), hours(-13)], ids=["2h old", "2h ahead", "13h old"]
)
async def test_dates_outside_the_window_are_refused(s: Scene, offset: timedelta) -> None:
    response = await s.post_signed(s.follow(), now=datetime.now(UTC) + offset)

    assert response.status_code == 401
    assert await s.stored() == 0


async def test_created_is_refused_with_rsa_sha256(s: Scene) -> None:
    body, headers = signed(s, s.follow())
    created = int(datetime.now(UTC).timestamp())
    names = "(request-target) host (created) digest"
    lines = [
        "(request-target): post /inbox",
        f"host: {headers['host']}",
        f"(created): {created}",
        f"digest: {headers['digest']}",
    ]
    resign(headers, s.alice.signing_key, names=names, lines=lines, extra=f"created={created},")

    assert await post_raw(s, body, headers) == 401
    assert await s.stored() == 0


async def test_hs2019_with_expired_expires_is_refused(s: Scene) -> None:
    body, headers = signed(s, s.follow())
    created = int((datetime.now(UTC) - hours(3)).timestamp())
    expires = created + 60
    names = "(request-target) host (created) (expires) digest"
    lines = [
        "(request-target): post /inbox",
        f"host: {headers['host']}",
        f"(created): {created}",
        f"(expires): {expires}",
        f"digest: {headers['digest']}",
    ]
    resign(
        headers,
        s.alice.signing_key,
        names=names,
        lines=lines,
        algorithm="hs2019",
        extra=f"created={created},expires={expires},",
    )

    assert await post_raw(s, body, headers) == 401
    assert await s.stored() == 0


async def test_hs2019_with_created_in_the_window_is_accepted(s: Scene) -> None:
    body, headers = signed(s, s.follow())
    created = int(datetime.now(UTC).timestamp())
    names = "(request-target) host (created) digest"
    lines = [
        "(request-target): post /inbox",
        f"host: {headers['host']}",
        f"(created): {created}",
        f"digest: {headers['digest']}",
    ]
    resign(
        headers,
        s.alice.signing_key,
        names=names,
        lines=lines,
        algorithm="hs2019",
        extra=f"created={created},",
    )

    assert await post_raw(s, body, headers) == 202


async def test_signed_for_a_personal_inbox_but_sent_to_the_shared_one_is_refused(s: Scene) -> None:
    body, headers = signed(s, s.follow(), url=f"{s.instance.base_url}/actors/union/inbox")

    assert await post_raw(s, body, headers, path="/inbox") == 401
    assert await s.stored() == 0


async def test_a_signed_get_replayed_as_a_post_is_refused(s: Scene) -> None:
    body = orjson.dumps(s.follow())
    headers = sign_request(s.alice.signing_key, "GET", s.inbox_url, None, datetime.now(UTC))
    headers["content-type"] = "application/activity+json"

    assert await post_raw(s, body, headers) == 401
    assert await s.stored() == 0


# -- keys and ownership ------------------------------------------------------------------------


async def test_key_of_actor_a_on_an_activity_of_actor_b_is_refused(s: Scene) -> None:
    mallory = s.peer.add_actor("mallory")
    document = s.follow()  # actor: alice

    response = await s.post_signed(document, actor=mallory)

    assert response.status_code == 401
    assert await s.stored() == 0


async def test_a_key_from_another_server_cannot_speak_for_this_one(
    s: Scene, tmp_path: Path
) -> None:
    from tests.peer import running_peer

    async with running_peer() as other:
        eve = other.add_actor("eve")
        document = s.follow()
        response = await s.post_signed(document, actor=eve)

    assert response.status_code == 401
    assert await s.stored() == 0


async def test_a_short_rsa_key_is_refused(s: Scene) -> None:
    s.alice.private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point

    response = await s.post_signed(s.follow())

    assert response.status_code == 401
    assert "under 2048 bits" in response.text
    assert await s.stored() == 0


async def test_unknown_key_id_is_refused(s: Scene) -> None:
    ghost = PeerActor(
        "ghost",
        f"{s.peer.base_url}/users/ghost",
        f"{s.peer.base_url}/users/ghost#main-key",
        s.alice.private_key,
    )
    document = {**s.follow(), "actor": ghost.uri, "id": f"{ghost.uri}/follows/1"}

    response = await s.post_signed(document, actor=ghost)

    assert response.status_code == 401
    assert await s.stored() == 0
    assert [r.path for r in s.peer.fetches()] == ["/users/ghost"]


@pytest.mark.parametrize(
    "key_id", ["file:///etc/passwd", "data:text/plain,key", "gopher://x/1", "ftp://x/k"]
)
async def test_key_ids_with_other_schemes_are_refused_without_network(
    s: Scene, key_id: str
) -> None:
    body, headers = signed(s, s.follow())
    headers["signature"] = headers["signature"].replace(s.alice.key_id, key_id)

    assert await post_raw(s, body, headers) == 401
    assert await s.stored() == 0
    assert s.peer.fetches() == []


@pytest.mark.parametrize("key_form", ["document", "bare"])
async def test_other_key_id_forms_seen_in_the_wild_are_accepted(s: Scene, key_form: Any) -> None:
    bob = s.peer.add_actor("bob", key_form=key_form)
    document = {**s.follow(), "actor": bob.uri, "id": f"{bob.uri}/follows/1"}

    response = await s.post_signed(document, actor=bob)

    assert response.status_code == 202


async def test_a_key_document_whose_owner_does_not_point_back_is_refused(s: Scene) -> None:
    bob = s.peer.add_actor("bob", key_form="document")
    s.peer.serve(
        "/users/bob",
        {
            **bob.document(s.peer.base_url),
            "publicKey": {
                **bob.document(s.peer.base_url)["publicKey"],
                "id": f"{bob.uri}#other-key",
            },
        },
    )
    document = {**s.follow(), "actor": bob.uri, "id": f"{bob.uri}/follows/1"}

    response = await s.post_signed(document, actor=bob)

    assert response.status_code == 401
    assert await s.stored() == 0


async def test_rotated_key_is_refetched_once_and_accepted(s: Scene) -> None:
    assert (await s.post_signed(s.follow("1"))).status_code == 202
    fetches_before = len(s.peer.fetches("/users/alice"))
    s.peer.rotate_key(s.alice)

    response = await s.post_signed(s.follow("2"))

    assert response.status_code == 202
    assert len(s.peer.fetches("/users/alice")) == fetches_before + 1


async def test_a_flood_of_bad_signatures_refetches_the_key_at_most_once(s: Scene) -> None:
    assert (await s.post_signed(s.follow("0"))).status_code == 202
    fetches_before = len(s.peer.fetches("/users/alice"))
    wrong = SigningKey(key_id=s.alice.key_id, private_key=s.peer.add_actor("x").private_key)

    statuses = []
    for n in range(25):
        body, headers = signed(s, s.follow(str(n + 1)))
        headers = sign_request(wrong, "POST", s.inbox_url, body, datetime.now(UTC))
        headers["content-type"] = "application/activity+json"
        statuses.append(await post_raw(s, body, headers))

    assert set(statuses) == {401}
    assert len(s.peer.fetches("/users/alice")) - fetches_before <= 1
    assert await s.stored() == 1


async def test_blocked_domain_is_refused_before_any_fetch(s: Scene) -> None:
    async with s.instance.svc.db.transaction() as session:
        await set_policy(session, s.instance.svc.clock, "127.0.0.1", DomainPolicyKind.block)

    response = await s.post_signed(s.follow())

    assert response.status_code == 403
    assert s.peer.fetches() == []
    assert await s.stored() == 0


async def test_allowlist_mode_refuses_servers_not_on_the_list(tmp_path: Path) -> None:
    async with scene(tmp_path, allowlist_mode=True) as sc:
        response = await sc.post_signed(sc.follow())

        assert response.status_code == 403
        assert sc.peer.fetches() == []
        assert await sc.stored() == 0


async def test_unknown_actor_deleting_itself_is_acknowledged_without_a_fetch(s: Scene) -> None:
    gone = f"{s.peer.base_url}/users/gone"
    document = {"id": f"{gone}#delete", "type": "Delete", "actor": gone, "object": gone}
    body = orjson.dumps(document)

    response = await s.instance.http.post(
        "/inbox", content=body, headers={"content-type": "application/activity+json"}
    )

    assert response.status_code == 202
    assert s.peer.fetches() == []
    assert await s.stored() == 0


# -- origins: refused with 403 -------------------------------------------------------------------


async def test_activity_id_on_another_host_is_refused(s: Scene) -> None:
    document = {**s.follow(), "id": "https://elsewhere.example/follows/1"}

    response = await s.post_signed(document)

    assert response.status_code == 403
    assert await s.stored() == 0


async def test_create_of_an_object_on_another_host_is_refused(s: Scene) -> None:
    note = {
        "id": "https://elsewhere.example/notes/1",
        "type": "Note",
        "content": "x",
        "attributedTo": s.alice.uri,
    }
    document = {
        "id": f"{s.alice.uri}/create/1",
        "type": "Create",
        "actor": s.alice.uri,
        "object": note,
    }

    response = await s.post_signed(document)

    assert response.status_code == 403
    assert await s.stored() == 0


async def test_create_attributed_to_someone_else_is_refused(s: Scene) -> None:
    note = {
        "id": f"{s.alice.uri}/notes/1",
        "type": "Note",
        "content": "x",
        "attributedTo": f"{s.peer.base_url}/users/bob",
    }
    document = {
        "id": f"{s.alice.uri}/create/1",
        "type": "Create",
        "actor": s.alice.uri,
        "object": note,
    }

    assert (await s.post_signed(document)).status_code == 403
    assert await s.stored() == 0


async def test_an_object_claiming_to_be_ours_is_refused(s: Scene) -> None:
    note = {
        "id": f"{s.instance.base_url}/objects/forged",
        "type": "Note",
        "content": "x",
        "attributedTo": s.alice.uri,
    }
    document = {
        "id": f"{s.alice.uri}/create/1",
        "type": "Create",
        "actor": s.alice.uri,
        "object": note,
    }

    assert (await s.post_signed(document)).status_code == 403
    assert await s.stored() == 0


async def test_update_of_someone_elses_actor_is_refused(s: Scene) -> None:
    bob = s.peer.add_actor("bob")
    document = {
        "id": f"{s.alice.uri}/update/1",
        "type": "Update",
        "actor": s.alice.uri,
        "object": bob.document(s.peer.base_url),
    }

    assert (await s.post_signed(document)).status_code == 403
    assert await s.stored() == 0


async def test_delete_of_an_object_on_another_host_is_refused(s: Scene) -> None:
    document = {
        "id": f"{s.alice.uri}/delete/1",
        "type": "Delete",
        "actor": s.alice.uri,
        "object": f"{s.instance.base_url}/objects/somebody-elses",
    }

    assert (await s.post_signed(document)).status_code == 403
    assert await s.stored() == 0


# -- sizes and shapes ----------------------------------------------------------------------------


async def test_oversized_body_with_content_length_is_refused_before_reading(s: Scene) -> None:
    huge = b"{" + b" " * (300 * 1024) + b"}"

    response = await s.instance.http.post(
        "/inbox", content=huge, headers={"content-type": "application/activity+json"}
    )

    assert response.status_code == 413
    assert await s.stored() == 0


async def test_oversized_chunked_body_is_refused(s: Scene) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(300):
            yield b" " * 1024

    response = await s.instance.http.post(
        "/inbox", content=chunks(), headers={"content-type": "application/activity+json"}
    )

    assert response.status_code == 413
    assert await s.stored() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 5000 + b"]" * 5000, "deeply nested JSON"),
        (b'{"a":' * 100 + b"1" + b"}" * 100, "nested deeper than the limit"),
        (b'{"type": "Follow", "id": "\xff\xfe"}', "invalid UTF-8"),
        (b'["Follow"]', "a JSON array, not an object"),
        (b'"just a string"', "a JSON string"),
        (b"not json at all", "not JSON"),
        (
            b'{"type":"Follow","actor":"https://x.example/a","object":"https://x.example/b"}',
            "no id",
        ),
        (
            b'{"id":"https://x.example/1","type":"Follow","actor":["https://x.example/a","https://x.example/b"]}',
            "actor given as an array",
        ),
        (
            b'{"id":"javascript:alert(1)","type":"Follow","actor":"https://x.example/a"}',
            "non-http id",
        ),
        (
            b'{"id":"https://x.example/1","type":"Follow","actor":"https://x.example/a","n":NaN}',
            "NaN",
        ),
    ],
)
async def test_malformed_json_is_400_never_500(s: Scene, body: bytes, reason: str) -> None:
    response = await s.instance.http.post(
        "/inbox", content=body, headers={"content-type": "application/activity+json"}
    )

    assert response.status_code == 400, reason
    assert await s.stored() == 0


async def test_wrong_media_type_is_415(s: Scene) -> None:
    body, headers = signed(s, s.follow())
    headers["content-type"] = "text/plain"

    assert await post_raw(s, body, headers) == 415
    assert await s.stored() == 0


async def test_unknown_personal_inbox_is_404(s: Scene) -> None:
    response = await s.post_signed(s.follow(), path="/actors/nobody/inbox")

    assert response.status_code == 404
    assert await s.stored() == 0


async def test_a_path_is_verified_as_the_sender_wrote_it_percent_encoded(s: Scene) -> None:
    """The signature covers the path as sent (`%75` stays `%75`), as Mastodon signs it."""
    response = await s.post_signed(s.follow(), path="/actors/%75nion/inbox")

    assert response.status_code == 202
    async with s.instance.svc.db.reader() as session:
        stored = await session.scalar(select(ReceivedActivity))
    assert stored is not None
    assert stored.recipient == "union"


async def test_inbox_answers_carry_the_security_headers_of_every_response(s: Scene) -> None:
    accepted = await s.post_signed(s.follow())
    refused = await s.post_signed(s.follow("2"), tamper={"digest": "SHA-256=AAAA"})

    for response in (accepted, refused):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert (accepted.status_code, refused.status_code) == (202, 401)


@pytest.mark.parametrize("path", ["/inbox", "/actor/inbox", "/actors/union/inbox"])
async def test_an_inbox_takes_only_post(s: Scene, path: str) -> None:
    response = await s.instance.http.get(path)

    assert response.status_code == 405
    assert await s.stored() == 0


async def test_an_inbox_address_with_a_nul_is_400_and_nothing_is_stored(s: Scene) -> None:
    response = await s.post_signed(s.follow(), path="/actors/un%00ion/inbox")

    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
    assert await s.stored() == 0


# -- RFC 9421 ------------------------------------------------------------------------------------


@dataclass
class _Message:
    method: str
    url: str
    headers: dict[str, str]


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, actor: PeerActor) -> None:
        self.actor = actor

    def resolve_private_key(self, key_id: str) -> Any:
        return self.actor.private_key

    def resolve_public_key(self, key_id: str) -> Any:
        return self.actor.private_key.public_key()


async def post_rfc9421(
    s: Scene, document: dict[str, Any], components: tuple[str, ...], created: datetime | None = None
) -> int:
    body = orjson.dumps(document)
    message = _Message("POST", s.inbox_url, {"Content-Type": "application/activity+json"})
    HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256, key_resolver=_Keys(s.alice)
    ).sign(
        message,
        key_id=s.alice.key_id,
        covered_component_ids=components,
        created=created or datetime.now(UTC),
        body=body if "content-digest" in components else None,
    )
    return await post_raw(s, body, message.headers)


async def test_rfc9421_signatures_from_an_independent_library_are_accepted(s: Scene) -> None:
    status = await post_rfc9421(s, s.follow(), ("@method", "@target-uri", "content-digest"))

    assert status == 202
    assert await s.stored() == 1


async def test_rfc9421_without_a_signed_content_digest_is_refused(s: Scene) -> None:
    status = await post_rfc9421(s, s.follow(), ("@method", "@target-uri"))

    assert status == 401
    assert await s.stored() == 0


async def test_rfc9421_without_target_uri_is_refused(s: Scene) -> None:
    status = await post_rfc9421(s, s.follow(), ("@method", "@authority", "content-digest"))

    assert status == 401
    assert await s.stored() == 0


async def test_rfc9421_too_old_is_refused(s: Scene) -> None:
    status = await post_rfc9421(
        s,
        s.follow(),
        ("@method", "@target-uri", "content-digest"),
        created=datetime.now(UTC) - hours(3),
    )

    assert status == 401
    assert await s.stored() == 0


# -- private addresses (no connection is ever made) --------------------------------------------


async def test_a_key_id_on_a_private_address_is_refused_without_connecting(tmp_path: Path) -> None:
    connections = 0

    async def canary(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(canary, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with scene(tmp_path, allow_private_network=False) as sc:
            body, headers = signed(sc, sc.follow())
            headers["signature"] = headers["signature"].replace(
                sc.alice.key_id, f"http://127.0.0.1:{port}/users/alice#main-key"
            )
            status = await post_raw(sc, body, headers)
            stored = await sc.stored()
    finally:
        server.close()
        await server.wait_closed()

    assert status == 401
    assert stored == 0
    assert connections == 0
