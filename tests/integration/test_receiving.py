"""Posts and interactions from elsewhere: replies, mentions, likes, boosts, reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity, RemoteObject, Report
from outbox.models import Post
from tests.integration.publishing_support import Newsroom, newsroom
from tests.peer import PeerActor, activity

AS = {"Accept": "application/activity+json"}


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Newsroom]:
    async with newsroom(tmp_path) as r:
        yield r


def note(actor: PeerActor, n: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{actor.uri}/notes/{n}",
        "type": "Note",
        "attributedTo": actor.uri,
        "content": "<p>Solidarity!</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        **fields,
    }


async def receive(room: Newsroom, document: dict[str, Any], actor: PeerActor | None = None) -> str:
    response = await room.s.post_signed(document, actor=actor)
    assert response.status_code == 202, response.text
    await inbox_worker(room.s.instance.svc).run_once()
    async with room.s.instance.svc.db.reader() as session:
        row = await session.scalar(
            select(ReceivedActivity).where(ReceivedActivity.activity_uri == document["id"])
        )
    assert row is not None
    return f"{row.state}: {row.error}" if row.error else row.state


async def kept(room: Newsroom) -> list[RemoteObject]:
    async with room.s.instance.svc.db.reader() as session:
        return list(await session.scalars(select(RemoteObject).order_by(RemoteObject.id)))


async def counts(room: Newsroom, post: Post) -> tuple[int, int]:
    doc = (await room.s.instance.http.get(post.uri, headers=AS)).json()
    return doc["likes"]["totalItems"], doc["shares"]["totalItems"]


async def test_a_reply_to_our_post_is_kept_sanitised(room: Newsroom) -> None:
    post = await room.publish(body="Strike news")
    reply = note(
        room.s.alice,
        "1",
        inReplyTo=post.uri,
        content=(
            '<p>Solidarity! <script>alert(1)</script><a href="javascript:x" onclick="y">z</a></p>'
        ),
    )

    state = await receive(room, activity(room.s.alice, "Create", reply))

    [row] = await kept(room)
    assert state == "processed"
    assert row.in_reply_to_uri == post.uri
    assert "<script" not in row.content_html
    assert "javascript:" not in row.content_html
    assert "onclick" not in row.content_html
    assert "Solidarity!" in row.content_html


async def test_a_mention_of_our_actor_is_kept(room: Newsroom) -> None:
    mention = note(
        room.s.alice,
        "2",
        tag=[{"type": "Mention", "href": room.s.union_uri}],
        cc=[room.s.union_uri],
    )

    assert await receive(room, activity(room.s.alice, "Create", mention)) == "processed"
    assert len(await kept(room)) == 1


async def test_a_post_that_does_not_concern_us_is_ignored(room: Newsroom) -> None:
    state = await receive(room, activity(room.s.alice, "Create", note(room.s.alice, "3")))

    assert state.startswith("ignored")
    assert await kept(room) == []


async def test_likes_and_boosts_are_counted_and_undone(room: Newsroom) -> None:
    post = await room.publish(body="Please share")
    bob = room.s.peer.add_actor("bob")
    like = activity(room.s.alice, "Like", post.uri)
    boost = activity(bob, "Announce", post.uri, to=["https://www.w3.org/ns/activitystreams#Public"])

    await receive(room, like)
    await receive(
        room, activity(room.s.alice, "Like", post.uri, suffix="again")
    )  # a second like: still one
    await receive(room, boost, actor=bob)
    assert await counts(room, post) == (1, 1)

    await receive(room, activity(room.s.alice, "Undo", like, suffix="u1"))
    await receive(room, activity(bob, "Undo", boost["id"], suffix="u2"), actor=bob)
    assert await counts(room, post) == (0, 0)


async def test_a_boost_embedding_a_forged_copy_counts_only_the_real_post(room: Newsroom) -> None:
    post = await room.publish(body="Original")
    forged = {
        "id": post.uri,
        "type": "Note",
        "attributedTo": room.s.alice.uri,
        "content": "forged words",
    }

    await receive(room, activity(room.s.alice, "Announce", forged))
    fetched = (await room.s.instance.http.get(post.uri, headers=AS)).json()

    assert fetched["content"] == "<p>Original</p>"
    assert fetched["shares"]["totalItems"] == 1


async def test_a_report_about_our_post_is_kept_for_moderators(room: Newsroom) -> None:
    post = await room.publish(body="x")
    flag = {
        "id": f"{room.s.alice.uri}/flags/1",
        "type": "Flag",
        "actor": room.s.alice.uri,
        "object": [room.s.union_uri, post.uri, "https://elsewhere.example/x"],
        "content": "spam?",
    }

    assert await receive(room, flag) == "processed"
    async with room.s.instance.svc.db.reader() as session:
        [report] = list(await session.scalars(select(Report)))
    assert report.object_uris == [room.s.union_uri, post.uri]
    assert report.content == "spam?"


async def test_only_the_author_can_update_or_delete_a_kept_post(room: Newsroom) -> None:
    post = await room.publish(body="x")
    reply = note(room.s.alice, "9", inReplyTo=post.uri)
    await receive(room, activity(room.s.alice, "Create", reply))
    mallory = room.s.peer.add_actor("mallory")

    edited = {**reply, "content": "<p>edited by alice</p>"}
    assert await receive(room, activity(room.s.alice, "Update", edited)) == "processed"
    hijack = activity(mallory, "Delete", reply["id"])
    assert (await receive(room, hijack, actor=mallory)).startswith("ignored")
    assert (await kept(room))[0].content_html == "<p>edited by alice</p>"

    assert await receive(room, activity(room.s.alice, "Delete", reply["id"])) == "processed"
    [row] = await kept(room)
    assert row.deleted_at is not None
    assert row.content_html == ""


async def test_likes_of_posts_that_are_not_ours_are_ignored(room: Newsroom) -> None:
    state = await receive(room, activity(room.s.alice, "Like", "https://elsewhere.example/notes/1"))

    assert state.startswith("ignored")
