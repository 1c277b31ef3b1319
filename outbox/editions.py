"""Language editions: an organisation's `{name}_{lang}` actors each boost (Announce) its public
posts in their language, so a reader follows one edition and gets one language. Following the
organisation itself still brings every language. Deleting a post withdraws the boosts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.directory import editions_of
from actors.models import Actor
from federation.vocab import PUBLIC
from outbox.enqueue import enqueue, new_activity_uri
from outbox.follows import follower_inboxes
from outbox.models import OutboxActivity, Post, Visibility
from runtime.services import Services


def _same_language(a: str, b: str) -> bool:
    return a.split("-")[0].lower() == b.split("-")[0].lower()


async def announce_in_editions(session: AsyncSession, svc: Services, post_id: int) -> None:
    post = await session.get(Post, post_id)
    if post is None or post.visibility != Visibility.public or post.in_reply_to_uri:
        return
    for edition in await editions_of(session, post.actor_id):
        if not _same_language(edition.language, post.language):
            continue
        announce = {
            "id": new_activity_uri(svc.uris),
            "type": "Announce",
            "actor": edition.uri,
            "object": post.uri,
            "to": [PUBLIC],
            "cc": [edition.followers_uri],
            "published": svc.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        await enqueue(
            session, svc, edition, announce, await follower_inboxes(session, edition), listed=True
        )


async def withdraw_from_editions(session: AsyncSession, svc: Services, post_id: int) -> None:
    post = await session.get(Post, post_id)
    if post is None:
        return
    rows = await session.execute(
        select(OutboxActivity, Actor)
        .join(Actor, Actor.id == OutboxActivity.actor_id)
        .where(
            OutboxActivity.type == "Announce",
            OutboxActivity.object_uri == post.uri,
            Actor.edition_of_id.is_not(None),
        )
    )
    for announce, edition in rows.all():
        announce.is_listed = False
        undo = {
            "type": "Undo",
            "actor": edition.uri,
            "object": {k: v for k, v in announce.document.items() if k != "@context"},
            "to": [PUBLIC],
        }
        await enqueue(session, svc, edition, undo, await follower_inboxes(session, edition))
