"""Local members' posts reach the network directly (no HTTP): published, edited, deleted."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from network import booster
from network.booster import MemberPost
from outbox.models import OutboxActivity, Post
from runtime.services import Services


async def _latest(
    session: AsyncSession, post: Post, activity_type: str
) -> dict[str, object] | None:
    return await session.scalar(
        select(OutboxActivity.document)
        .where(
            OutboxActivity.object_uri == post.uri,
            OutboxActivity.type == activity_type,
            OutboxActivity.actor_id == post.actor_id,
        )
        .order_by(OutboxActivity.id.desc())
        .limit(1)
    )


async def on_published(session: AsyncSession, svc: Services, post_id: int) -> None:
    post = await session.get(Post, post_id)
    author = await session.get(Actor, post.actor_id) if post else None
    if post is None or author is None:
        return
    create = await _latest(session, post, "Create")
    obj = create.get("object") if isinstance(create, dict) else None
    to = tuple(obj.get("to", [])) if isinstance(obj, dict) else ()
    cc = tuple(obj.get("cc", [])) if isinstance(obj, dict) else ()
    await booster.consider(
        session,
        svc,
        MemberPost(
            object_uri=post.uri,
            author=author,
            source="local",
            create_activity=create,
            to=to,
            cc=cc,
            in_reply_to=post.in_reply_to_uri,
            language=post.language,
            kind=post.kind,
            hashtags=tuple(post.hashtags),
            mentions=len(post.mentions),
            content_html=post.body_html or post.content_html,
        ),
    )


async def on_updated(session: AsyncSession, svc: Services, post_id: int) -> None:
    post = await session.get(Post, post_id)
    if post is None:
        return
    update = await _latest(session, post, "Update")
    if update is not None:
        await booster.announce_activity(session, svc, post.uri, update)


async def on_deleted(session: AsyncSession, svc: Services, post_id: int) -> None:
    post = await session.get(Post, post_id)
    if post is None:
        return
    delete = await _latest(session, post, "Delete")
    if delete is not None:
        await booster.announce_activity(session, svc, post.uri, delete)
    await booster.withdraw(session, svc, post.uri)
