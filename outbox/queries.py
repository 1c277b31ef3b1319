"""Read-side queries over what we published."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, ActorKind
from core.ids import is_id
from core.uris import Uris
from outbox.models import (
    Attachment,
    Delivery,
    Interaction,
    InteractionKind,
    OutboxActivity,
    Post,
    PostState,
)
from outbox.render import Related


async def local_post_count(session: AsyncSession) -> int:
    """Published posts of our actors (NodeInfo's `localPosts`)."""
    return (
        await session.scalar(
            select(func.count()).select_from(Post).where(Post.state == PostState.published)
        )
        or 0
    )


async def find_post(session: AsyncSession, uris: Uris | None, ref: str) -> Post | None:
    """A post by its public id or its URI."""
    text = ref.strip()
    if is_id(text):
        return await session.scalar(select(Post).where(Post.public_id == text))
    return await session.scalar(select(Post).where(Post.uri == text))


async def related_of(session: AsyncSession, post: Post) -> Related:
    author = await session.get(Actor, post.actor_id)
    if author is None:
        raise LookupError(f"post {post.id} has no actor")
    attachments = list(
        await session.scalars(
            select(Attachment)
            .where(Attachment.post_id == post.id, Attachment.position < 100)
            .order_by(Attachment.position)
        )
    )
    root_id = post.translation_of_id or post.id
    # The state is checked here, not in the query: with it there, SQLite's planner may pick the
    # state index and read every published post, for every post shown or sent.
    family = [
        (uri, language, pid)
        for uri, language, pid, state in await session.execute(
            select(Post.uri, Post.language, Post.id, Post.state).where(
                (Post.translation_of_id == root_id) | (Post.id == root_id)
            )
        )
        if state == PostState.published and pid != post.id
    ]
    counts = dict(
        (
            await session.execute(
                select(Interaction.kind, func.count())
                .where(Interaction.post_id == post.id)
                .group_by(Interaction.kind)
            )
        ).all()
    )
    original_uri = next((uri for uri, _lang, pid in family if pid == post.translation_of_id), None)
    return Related(
        author=author,
        attachments=attachments,
        translation_of_uri=original_uri,
        translations=[(uri, lang) for uri, lang, _pid in family],
        likes=counts.get(InteractionKind.like, 0),
        shares=counts.get(InteractionKind.announce, 0),
    )


async def previous_recipients(session: AsyncSession, object_uri: str) -> set[str]:
    """Every inbox that any activity about this object was delivered (or queued) to."""
    rows = await session.scalars(
        select(Delivery.inbox_uri)
        .join(OutboxActivity, OutboxActivity.id == Delivery.activity_id)
        .where(OutboxActivity.object_uri == object_uri)
        .distinct()
    )
    return set(rows)


def is_publisher(actor: Actor) -> bool:
    return actor.kind in (ActorKind.organization, ActorKind.network)
