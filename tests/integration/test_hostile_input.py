"""Hostile input beyond the signature suite: origins, sizes, shapes, DNS, content and uploads.
Each case checks the answer and that nothing was stored, fetched or connected to."""

from __future__ import annotations

import asyncio
import io
import socket
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from PIL import Image
from sqlalchemy import func, select

from actors.models import Actor, Follow
from actors.resolver import resolve_actor
from content.images import ImageRejected, clean_image
from federation.client import ClientConfig, FederationClient
from federation.errors import AddressNotAllowed
from federation.keys import SigningKey, generate_private_key
from federation.signatures import sign_request
from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity, RemoteObject
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Post
from outbox.posts import create_post
from tests.integration.inbox_support import Scene, scene
from tests.integration.site_support import csrf, log_in, site
from tests.peer import activity, running_peer


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Scene]:
    async with scene(tmp_path) as sc:
        yield sc


async def stored(s: Scene, model: Any = ReceivedActivity) -> int:
    async with s.instance.svc.db.reader() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_key_id_that_redirects_to_another_host_is_refused(s: Scene) -> None:
    async with running_peer() as other:
        elsewhere = other.add_actor("alice")
        s.peer.serve(
            "/users/alice",
            b"",
            status=302,
            content_type="text/plain",
            headers={"Location": elsewhere.uri},
        )

        response = await s.post_signed(s.follow())

        assert response.status_code == 401
        assert other.fetches() == []
    assert await stored(s) == 0


async def test_an_activity_with_100000_recipients_is_refused_for_its_size(s: Scene) -> None:
    document = {**s.follow(), "to": [f"https://x{n}.example/u" for n in range(100_000)]}

    response = await s.post_signed(document)

    assert response.status_code == 413
    assert await stored(s) == 0


async def test_a_one_megabyte_content_is_refused_for_its_size(s: Scene) -> None:
    note = {
        "id": f"{s.alice.uri}/notes/big",
        "type": "Note",
        "attributedTo": s.alice.uri,
        "content": "x" * 1_000_000,
    }

    response = await s.post_signed(activity(s.alice, "Create", note))

    assert response.status_code == 413
    assert await stored(s) == 0


async def test_a_boosted_remote_post_with_a_megabyte_of_content_is_not_kept(s: Scene) -> None:
    note = {
        "id": f"{s.alice.uri}/notes/huge",
        "type": "Note",
        "attributedTo": s.alice.uri,
        "content": "y" * 900_000,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    s.peer.serve("/users/alice/notes/huge", note)
    alice = await resolve_actor(s.instance.svc, s.alice.uri)
    async with s.instance.svc.db.transaction() as session:
        ours = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
        assert ours is not None
        session.add(
            Follow(
                follower_id=ours.id,
                followed_id=alice.id,
                state="accepted",
                created_at=s.instance.svc.clock.now(),
            )
        )  # so its boosts concern us
    assert (await s.post_signed(activity(s.alice, "Announce", note["id"]))).status_code == 202

    await inbox_worker(s.instance.svc).run_once()

    assert await stored(s, RemoteObject) == 0


async def test_a_self_referencing_reply_is_kept_once_and_nothing_is_chased(s: Scene) -> None:
    post = await create_post(
        s.instance.svc, await _union(s), Draft(kind=PostKind.note, body="x", language="en")
    )
    looped = {
        "id": f"{s.alice.uri}/notes/loop",
        "type": "Note",
        "attributedTo": s.alice.uri,
        "inReplyTo": post.uri,
        "content": "loop",
        "replies": f"{s.alice.uri}/notes/loop",
    }
    looped_again = {
        **looped,
        "id": f"{s.alice.uri}/notes/loop2",
        "inReplyTo": f"{s.alice.uri}/notes/loop2",
    }

    await s.post_signed(activity(s.alice, "Create", looped))
    await s.post_signed(activity(s.alice, "Create", looped_again, suffix="2"))
    await inbox_worker(s.instance.svc).run_once()

    assert await stored(s, RemoteObject) == 1  # the self-reply concerns nobody here
    assert s.peer.fetches("/users/alice/notes") == []  # no reply chain is chased


async def _union(s: Scene) -> Any:
    async with s.instance.svc.db.reader() as session:
        return await session.scalar(select(Actor).where(Actor.uri == s.union_uri))


class _LyingDNS(AbstractResolver):
    """Says every name is 127.0.0.1 (a DNS rebinding attacker)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


async def test_a_name_that_resolves_to_loopback_is_refused_without_connecting() -> None:
    connections = 0

    async def canary(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(canary, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = ClientConfig(user_agent="test", allow_private_network=False, total_timeout=3)
    try:
        async with FederationClient(
            config, lambda: datetime.now(UTC), resolver=_LyingDNS()
        ) as client:
            with pytest.raises(AddressNotAllowed):
                await client.fetch_document(f"https://innocent.example:{port}/actor", signer=None)
            delivered = await client.deliver(
                f"https://innocent.example:{port}/inbox", b"{}", _throwaway_key()
            )
    finally:
        server.close()
        await server.wait_closed()

    assert connections == 0
    assert delivered.is_refused


def _throwaway_key() -> Any:
    return SigningKey("https://x.example/a#k", generate_private_key())


async def test_remote_names_and_content_are_escaped_on_our_pages(s: Scene) -> None:
    s.alice.extra = {
        "name": '<script>alert("name")</script>',
        "summary": "<img src=x onerror=alert(1)>",
    }
    post = await create_post(
        s.instance.svc, await _union(s), Draft(kind=PostKind.note, body="news", language="en")
    )
    reply = {
        "id": f"{s.alice.uri}/notes/evil",
        "type": "Note",
        "attributedTo": s.alice.uri,
        "inReplyTo": post.uri,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "content": '<p>hi<iframe src="https://evil.example"></iframe><svg onload=alert(1)></svg>'
        '<a href="javascript:alert(1)" style="color:red" onmouseover="x()">link</a>'
        "<script>alert(2)</script></p>",
    }
    await s.post_signed(activity(s.alice, "Create", reply))
    await inbox_worker(s.instance.svc).run_once()

    page = (await s.instance.http.get(post.uri, headers={"Accept": "text/html"})).text

    assert "hi" in page
    for forbidden in (
        "<script>alert",
        "<iframe",
        "<svg",
        "onload=",
        "onerror=",
        "javascript:",
        "onmouseover",
        'style="color',
    ):
        assert forbidden not in page, forbidden
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in page


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (20_000, 10), (8_000, 8_000)])
def test_giant_dimensions_are_refused_before_decoding(width: int, height: int) -> None:
    with pytest.raises(ImageRejected, match="the limit is"):
        clean_image(_png_header(width, height))


def test_a_decompression_bomb_is_refused() -> None:
    bomb = io.BytesIO()
    Image.new("L", (7_000, 7_000)).save(
        bomb, "PNG", optimize=True
    )  # 49 megapixels of zeros, a few KB

    assert len(bomb.getvalue()) < 200_000
    with pytest.raises(ImageRejected):
        clean_image(bomb.getvalue())


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"BM" + b"\x00" * 60,
        b"\xff\xd8\xff\xe0 truncated jpeg",
    ],
    ids=["svg", "html", "gif", "bmp", "truncated-jpeg"],
)
def test_things_disguised_as_images_are_refused(data: bytes) -> None:
    with pytest.raises(ImageRejected):
        clean_image(data)


async def test_json_with_duplicate_keys_takes_one_value_deterministically(s: Scene) -> None:
    body = orjson.dumps(s.follow())[:-1] + b',"type":"Follow"}'
    headers = sign_request(s.alice.signing_key, "POST", s.inbox_url, body, datetime.now(UTC))
    headers["content-type"] = "application/activity+json"

    response = await s.instance.http.post("/inbox", content=body, headers=headers)

    assert response.status_code == 202


AS = {"Accept": "application/activity+json"}
HOSTILE_MARKUP = (
    '<script>alert("s")</script><iframe src="https://evil.example"></iframe>'
    '<img src=x onerror=alert(1)><svg onload=alert(2)></svg><p style="position:fixed">p</p>'
    '[click](javascript:alert(3)) <a href="javascript:alert(4)" onclick="x()">a</a>'
)


class _ActiveMarkup(HTMLParser):
    """Collects what could run or restyle: script-like elements, event handlers, inline styles
    and javascript: URLs. (Escaped text is text, and is not reported.)"""

    ACTIVE = frozenset({"script", "iframe", "object", "embed", "svg", "math", "base"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.ACTIVE:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag} {name}=")
            if (value or "").strip().lower().startswith(("javascript:", "data:text")):
                self.found.append(f"{tag} {name}={value}")


def active_markup(html: str) -> list[str]:
    parser = _ActiveMarkup()
    parser.feed(html)
    return parser.found


async def test_an_editors_markup_is_sanitised_on_pages_and_in_what_we_federate(
    tmp_path: Path,
) -> None:
    async with site(tmp_path) as desk:
        await log_in(desk, "editor")
        token = await csrf(desk, "/desk/compose")
        await desk.http.post(
            "/desk/compose",
            data={
                "csrf": token,
                "action": "publish",
                "actor": "oil_workers",
                "kind": "note",
                "language": "en",
                "title": "<script>alert('t')</script>",
                "body": f"Strike news {HOSTILE_MARKUP}",
            },
            headers={"Origin": desk.instance.base_url},
        )
        async with desk.instance.svc.db.reader() as session:
            post = await session.scalar(select(Post).where(Post.source.contains("Strike news")))
        assert post is not None

        page = (await desk.http.get(post.uri, headers={"Accept": "text/html"})).text
        note = (await desk.http.get(post.uri, headers=AS)).json()["content"]
        desk_page = (await desk.http.get(f"/desk/posts/{post.public_id}")).text

    assert "Strike news" in page
    assert active_markup(note) == []
    assert active_markup(_main(page)) == []
    assert active_markup(_main(desk_page)) == []


async def test_a_join_application_with_markup_is_shown_escaped_on_the_desk(
    tmp_path: Path,
) -> None:
    async with site(tmp_path) as desk:
        form = await desk.http.get("/join")
        token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        await desk.http.post(
            "/join",
            data={
                "csrf": token,
                "organisation": '<script>alert("org")</script>',
                "contact": "<img src=x onerror=alert(1)>",
                "country": "TN",
                "sector": "transport",
                "languages": "ar",
                "description": HOSTILE_MARKUP,
            },
        )
        await log_in(desk, "admin")
        members = (await desk.http.get("/desk/members")).text

    assert "&lt;script&gt;alert(&#34;org&#34;)&lt;/script&gt;" in members
    assert active_markup(_main(members)) == []


def _main(page: str) -> str:
    """The page's own content (our layout's forms, like the logout button, are not input)."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]
