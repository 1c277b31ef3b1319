"""The one outbound client refuses what a trusted server would refuse (CVE-2024-23832,
CVE-2024-25623 and friends), and never reads past its caps or its deadline."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from federation.client import ClientConfig, FederationClient
from federation.errors import AddressNotAllowed, FetchError, ResponseTooLarge
from tests.peer import Peer, running_peer


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


@pytest.fixture
async def client() -> AsyncIterator[FederationClient]:
    from datetime import UTC, datetime

    config = ClientConfig(
        user_agent="test", allow_private_network=True, max_bytes=64 * 1024, total_timeout=3
    )
    async with FederationClient(config, lambda: datetime.now(UTC)) as c:
        yield c


async def test_a_document_with_the_requested_id_is_returned(
    peer: Peer, client: FederationClient
) -> None:
    alice = peer.add_actor("alice")

    fetched = await client.fetch_document(alice.uri, signer=None)

    assert fetched.document["id"] == alice.uri


async def test_a_document_whose_id_differs_from_the_url_is_refused(
    peer: Peer, client: FederationClient
) -> None:
    peer.serve("/notes/1", {"id": f"{peer.base_url}/notes/2", "type": "Note"})

    with pytest.raises(FetchError, match="whose id is"):
        await client.fetch_document(f"{peer.base_url}/notes/1", signer=None)


@pytest.mark.parametrize(
    "content_type", ["text/html", "application/json", "image/png", "application/ld+json"]
)
async def test_non_activitystreams_content_types_are_refused(
    peer: Peer, client: FederationClient, content_type: str
) -> None:
    peer.serve(
        "/notes/1", {"id": f"{peer.base_url}/notes/1", "type": "Note"}, content_type=content_type
    )

    with pytest.raises(FetchError, match="not ActivityStreams"):
        await client.fetch_document(f"{peer.base_url}/notes/1", signer=None)


async def test_ld_json_with_the_activitystreams_profile_is_accepted(
    peer: Peer, client: FederationClient
) -> None:
    peer.serve(
        "/notes/1",
        {"id": f"{peer.base_url}/notes/1", "type": "Note"},
        content_type='application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    )

    assert (await client.fetch_document(f"{peer.base_url}/notes/1", signer=None)).document[
        "type"
    ] == "Note"


async def test_a_redirect_to_another_origin_is_refused(
    peer: Peer, client: FederationClient
) -> None:
    async with running_peer() as other:
        target = other.add_actor("x")
        peer.serve(
            "/users/x", b"", status=302, content_type="text/plain", headers={"Location": target.uri}
        )

        with pytest.raises(FetchError, match="another origin"):
            await client.fetch_document(f"{peer.base_url}/users/x", signer=None)

    assert other.fetches() == []


async def test_a_redirect_on_the_same_origin_is_followed(
    peer: Peer, client: FederationClient
) -> None:
    alice = peer.add_actor("alice")
    peer.serve(
        "/@alice", b"", status=301, content_type="text/plain", headers={"Location": alice.uri}
    )

    fetched = await client.fetch_document(f"{peer.base_url}/@alice", signer=None)

    assert fetched.url == alice.uri


async def test_a_body_over_the_cap_without_content_length_is_cut(client: FederationClient) -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 8192
        for _ in range(20):
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(chunked, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(ResponseTooLarge):
            await client.fetch_document(f"http://127.0.0.1:{port}/x", signer=None)
    finally:
        server.close()


async def test_a_body_over_the_cap_with_content_length_is_refused(
    peer: Peer, client: FederationClient
) -> None:
    big = b'{"id":"x","pad":"' + b"a" * (100 * 1024) + b'"}'
    peer.serve("/big", big)

    with pytest.raises(ResponseTooLarge):
        await client.fetch_document(f"{peer.base_url}/big", signer=None)


async def test_a_gzip_bomb_stops_at_the_decompressed_cap(
    peer: Peer, client: FederationClient
) -> None:
    bomb = gzip.compress(b'{"id":"' + b"A" * (50 * 1024 * 1024) + b'"}')
    peer.serve("/bomb", bomb, headers={"Content-Encoding": "gzip"})

    with pytest.raises(ResponseTooLarge):
        await client.fetch_document(f"{peer.base_url}/bomb", signer=None)


async def test_literal_private_addresses_are_refused_without_private_network_mode() -> None:
    from datetime import UTC, datetime

    strict = ClientConfig(user_agent="test", allow_private_network=False)
    async with FederationClient(strict, lambda: datetime.now(UTC)) as c:
        with pytest.raises(AddressNotAllowed):
            await c.fetch_document("https://127.0.0.1:9/users/x", signer=None)
        with pytest.raises(AddressNotAllowed):
            await c.fetch_document("https://localhost:9/users/x", signer=None)


async def test_a_server_dripping_bytes_is_cut_at_the_deadline(client: FederationClient) -> None:
    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        try:
            for _ in range(60):
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(1)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(drip, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        with pytest.raises(FetchError, match="longer than"):
            await client.fetch_document(f"http://127.0.0.1:{port}/x", signer=None)
    finally:
        server.close()
    assert loop.time() - started < 5


def test_configs_are_plain_values() -> None:
    assert replace(ClientConfig(user_agent="a"), max_bytes=1).max_bytes == 1
