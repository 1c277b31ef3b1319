"""Co-signed statements. A publisher (the network, or one organisation) opens one of its posts
for co-signing and invites the network's members: an `Invite` (object: the statement, target:
the member) to members elsewhere; members here see it in their desk. A member signs from this
desk (a Signature at once) or from its own server (its `Accept` of our `Invite`), and can
withdraw (`Undo` of the `Accept`). The statement shows its signatories and their count, and
`/objects/ID/signatories` lists them as a collection.

Why not a `Like`: everyone's apps show a Like as a favourite, anyone may send one in passing,
and favourites are counted and shown as such by every server; a signature is the deliberate,
named act of an organisation, answering an invitation, that the statement lists by name."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, ActorKind, delivery_inbox
from outbox.compose import PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.models import Post, PostState, Signature, Statement, Visibility
from runtime.services import Services


async def statement_of(session: AsyncSession, post_id: int) -> Statement | None:
    found: Statement | None = await session.scalar(
        select(Statement).where(Statement.post_id == post_id)
    )
    return found


async def open_statement(svc: Services, post: Post, invitees: Sequence[Actor]) -> Statement:
    """Open a published public post for co-signing and invite `invitees` (those elsewhere get
    an Invite; ours see it in the desk)."""
    if post.state != PostState.published or post.visibility != Visibility.public:
        raise PostError("only a published public post can be co-signed")
    async with svc.db.transaction() as session:
        existing = await statement_of(session, post.id)
        if existing is not None:
            raise PostError("this post is already open for co-signing")
        publisher = await session.get(Actor, post.actor_id)
        if publisher is None:
            raise PostError("the post's publisher is gone")
        statement = Statement(post_id=post.id, opened_at=svc.clock.now())
        session.add(statement)
        for invitee in invitees:
            inbox = delivery_inbox(invitee.shared_inbox_uri, invitee.inbox_uri)
            if invitee.is_local or not inbox or invitee.id == publisher.id:
                continue
            invite = {
                "id": new_activity_uri(svc.uris),
                "type": "Invite",
                "actor": publisher.uri,
                "object": post.uri,
                "target": invitee.uri,
                "to": [invitee.uri],
            }
            await enqueue(session, svc, publisher, invite, [inbox], about=post.uri)
        await session.flush()
        return statement


async def sign_here(svc: Services, post: Post, signer: Actor) -> Signature:
    """One of our organisations co-signs a statement published here."""
    if signer.kind not in (ActorKind.organization, ActorKind.network) or not signer.is_local:
        raise PostError("only an organisation can sign")
    async with svc.db.transaction() as session:
        if await statement_of(session, post.id) is None:
            raise PostError("this post is not open for co-signing")
        existing = await session.scalar(
            select(Signature).where(Signature.post_id == post.id, Signature.actor_id == signer.id)
        )
        if existing is not None:
            raise PostError(f"{signer.handle} has signed already")
        row = Signature(post_id=post.id, actor_id=signer.id, created_at=svc.clock.now())
        session.add(row)
        await session.flush()
        return row


async def withdraw_here(svc: Services, post: Post, signer: Actor) -> bool:
    async with svc.db.transaction() as session:
        row = await session.scalar(
            select(Signature).where(Signature.post_id == post.id, Signature.actor_id == signer.id)
        )
        if row is None:
            return False
        await session.delete(row)
        return True


async def signatories(session: AsyncSession, post_id: int) -> list[Actor]:
    rows = await session.scalars(
        select(Actor)
        .join(Signature, Signature.actor_id == Actor.id)
        .where(Signature.post_id == post_id, Actor.deleted_at.is_(None))
        .order_by(Signature.id)
    )
    return list(rows)
