"""Posts from a member on another server, in every shape ActivityStreams and the big servers
allow, delivered signed through the real inbox: never a 5xx, never a failed row, and what is
stored shows on the site as the author wrote it (warning, media, tags, language, direction)."""

from __future__ import annotations

import asyncio
import html
import itertools
import re
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from actors.models import Actor, ActorKind
from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity, ReceivedState, RemoteObject
from network.members import MemberProfile, add_member
from network.models import CurationItem, CurationState, Trust
from tests.factories import make_actor
from tests.integration.inbox_support import Scene, scene
from tests.peer import PeerActor, activity

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
T = TypeVar("T")


@dataclass
class Member:
    s: Scene
    bob: PeerActor
    network: Actor
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run on the test's event loop from hypothesis's thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)


@pytest.fixture
async def member(tmp_path: Path) -> AsyncIterator[Member]:
    async with scene(tmp_path) as s:
        network = await make_actor(s.instance.svc, "solidarity", kind=ActorKind.network)
        bob = s.peer.add_actor("bob")
        await add_member(
            s.instance.svc, "solidarity", bob.uri, MemberProfile("IQ", "transport", (), Trust.auto)
        )
        yield Member(s, bob, network, asyncio.get_running_loop())


counter = itertools.count()
words = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzابپتجچ ", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
public_forms = st.sampled_from([PUBLIC, "as:Public", "Public"])
post_types = st.sampled_from(["Note", "Article", "Page", "Question", "Video", "Document"])


@st.composite
def remote_posts(draw: st.DrawFn, author: str) -> dict[str, Any]:
    n = next(counter)
    base = author.split("/users/")[0]  # the peer on loopback: what it does not hold is a 404
    uri = f"{author}/posts/{n}"
    token = f"token{n}x"
    kind = draw(post_types)
    text = f"<p>{token} {html.escape(draw(words))}</p>"
    doc: dict[str, Any] = {
        "id": uri,
        "type": draw(st.sampled_from([kind, [kind], [kind, "Note"], f"as:{kind}"])),
        "attributedTo": draw(st.sampled_from([author, [author], {"id": author, "type": "Person"}])),
        "to": draw(st.one_of(public_forms, st.lists(public_forms, min_size=1, max_size=2))),
    }
    language = draw(st.sampled_from(["", "fa", "ar", "en"]))
    form = draw(st.sampled_from(["content", "map", "both", "name"]))
    if form in ("content", "both"):
        doc["content"] = text
    if form in ("map", "both") and language:
        doc["contentMap"] = {language: text}
    if form == "map" and not language:
        doc["contentMap"] = {"und": text}
    if form == "name":
        doc["name"] = token
    if draw(st.booleans()):
        doc.update(sensitive=True, summary=f"cw{n} {draw(words)}")
    urls = [f"{base}/@bob/{n}"]
    doc["url"] = draw(
        st.sampled_from(
            [
                urls[0],
                {"type": "Link", "href": urls[0], "mediaType": "text/html"},
                [{"type": "Link", "href": urls[0]}],
            ]
        )
    )
    media = f"{base}/media/{n}.jpg"
    shape = draw(st.integers(0, 4))
    attachment: Any = [
        {"type": "Document", "mediaType": "image/jpeg", "url": media, "name": f"alt{n}"},
        {"type": "Image", "url": {"type": "Link", "href": media, "mediaType": "image/jpeg"}},
        {"type": "Link", "href": media},
        media,
        None,
    ][shape]
    if attachment is not None:
        doc["attachment"] = draw(st.sampled_from([attachment, [attachment]]))
    tag = {"type": "Hashtag", "name": f"#tag{n} with space"}
    if draw(st.booleans()):
        doc["tag"] = draw(st.sampled_from([tag, [tag]]))
    if draw(st.integers(0, 5)) == 0:
        doc["inReplyTo"] = draw(
            st.sampled_from([[f"{base}/else/1"], {"type": "Collection", "totalItems": 1}])
        )
    if kind == "Question":
        doc["oneOf"] = [{"type": "Note", "name": f"opt{n}"}]
    return doc


async def deliver(m: Member, doc: dict[str, Any]) -> int:
    create = activity(m.bob, "Create", doc, suffix=doc["id"].rsplit("/", 1)[-1])
    response = await m.s.post_signed(create, actor=m.bob)
    await inbox_worker(m.s.instance.svc).run_once()
    return response.status_code


async def outcome(
    m: Member, uri: str
) -> tuple[list[ReceivedState], RemoteObject | None, CurationState | None]:
    async with m.s.instance.svc.db.reader() as session:
        states = list(await session.scalars(select(ReceivedActivity.state)))
        stored = await session.scalar(select(RemoteObject).where(RemoteObject.uri == uri))
        item = await session.scalar(
            select(CurationItem.state).where(CurationItem.object_uri == uri)
        )
    return states, stored, item


def entry_of(page: str, token: str) -> str:
    """The <article> on the page that holds `token`."""
    for match in re.finditer(r'<article class="entry.*?</article>', page, re.S):
        if token in match.group(0):
            return match.group(0)
    raise AssertionError(f"{token} is not on the page")


async def test_every_shape_of_remote_post_is_kept_and_shown_as_written(member: Member) -> None:
    m = member

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(remote_posts(m.bob.uri))
    def check(doc: dict[str, Any]) -> None:
        status = m.run(deliver(m, doc))
        states, stored, item = m.run(outcome(m, doc["id"]))

        assert 200 <= status < 300, status
        assert "failed" not in states
        assert stored is not None
        is_reply = "inReplyTo" in doc
        assert stored.is_reply == is_reply
        if is_reply:
            assert item is None  # a reply to someone else is never boosted
            return
        assert item == "boosted"
        token = f"token{doc['id'].rsplit('/', 1)[-1]}x"
        page = m.run(m.s.instance.http.get("/")).text
        entry = entry_of(page, token)
        if doc.get("sensitive"):
            assert re.search(r"<details[^>]*><summary>.*cw\d+", entry, re.S), entry
        if "attachment" in doc:
            assert "/media/" in entry
            assert 'rel="nofollow noopener noreferrer"' in entry
            assert "<img" not in entry  # remote media is never hot-linked
        if "tag" in doc:
            assert "withspace" in entry
            assert "with space" not in entry
        language = next(iter(doc.get("contentMap", {"": ""})), "")
        if language in ("fa", "ar", "en"):
            assert f'lang="{language}"' in entry.split(">", 1)[0]
        else:
            assert "lang=" not in entry.split(">", 1)[0]
            assert 'dir="auto"' in entry.split(">", 1)[0]

    await asyncio.to_thread(check)
