"""Remote posts we keep: stored sanitised, fetched from their origin when only referenced."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from actors.resolver import instance_signer
from content.hashtags import normalise_tag
from content.html import html_to_text, sanitise_html
from core.uris import authority
from federation.documents import RemoteObjectData, parse_object
from federation.errors import FetchError, InvalidDocument
from inbox.models import RemoteObject
from runtime.services import Services
from storage.database import Database, insert_ignoring_duplicates
from storage.memo import WriteBehind


async def fetch_object(svc: Services, uri: str) -> RemoteObjectData:
    """Fetch an object from its origin (never trust an embedded copy someone else sent)."""
    if svc.uris.is_ours(uri):
        raise InvalidDocument(f"{uri} claims to be one of ours")
    fetched = await svc.client.fetch_document(uri, signer=await instance_signer(svc))
    data = parse_object(fetched.document)
    if authority(data.attributed_to) != authority(data.uri):
        raise InvalidDocument(f"{data.uri} is attributed to an actor on another server")
    return data


async def store_object(
    session: AsyncSession, svc: Services, data: RemoteObjectData, author: Actor
) -> RemoteObject:
    """Keep the post (`keep_object`) and give its row."""
    row = await session.get(RemoteObject, await keep_object(session, svc, data, author))
    if row is None:  # pragma: no cover - it was written in this transaction
        raise RuntimeError(f"{data.uri} was stored and is gone")
    return row


def posts_written_behind(db: Database) -> WriteBehind:
    """New remote posts kept back in a batch and written in one statement (`storage.memo`)."""
    table = cast(Table, RemoteObject.__table__)
    return WriteBehind(insert_ignoring_duplicates(db, table, "uri").returning(table.c.uri), "uri")


async def held_among(session: AsyncSession, uris: Iterable[str]) -> set[str]:
    """Which of these posts we hold (in one read)."""
    wanted = sorted(set(uris))
    if not wanted:
        return set()
    return set(await session.scalars(select(RemoteObject.uri).where(RemoteObject.uri.in_(wanted))))


def keep_later(svc: Services, data: RemoteObjectData, author: Actor) -> bool:
    """In a batch that writes posts behind, queue a post we do not hold yet (it is written
    before the batch's next statement); False when it must be kept now (`keep_object`)."""
    memo = svc.db.memo()
    behind = memo.behind.get(RemoteObject.__tablename__) if memo is not None else None
    if behind is None or not behind.may_queue(data.uri):
        return False
    values = _columns(svc, data)
    behind.queue({"uri": data.uri, "actor_id": author.id, "received_at": svc.clock.now(), **values})
    return True


async def keep_object(
    session: AsyncSession, svc: Services, data: RemoteObjectData, author: Actor
) -> int:
    """Store a remote post, sanitised (or refresh our copy); its row's id. A post we never had
    is one INSERT (the inbox's commonest write); a post we hold is updated through its row."""
    values = _columns(svc, data)
    table = cast(Table, RemoteObject.__table__)
    new_id = await session.scalar(  # parameters apart: one compiled statement, cached
        insert_ignoring_duplicates(svc.db, table, "uri").returning(table.c.id),
        {"uri": data.uri, "actor_id": author.id, "received_at": svc.clock.now(), **values},
    )
    memo = svc.db.memo()
    behind = memo.behind.get(RemoteObject.__tablename__) if memo is not None else None
    if behind is not None:  # held now: a later copy in the batch is not new
        behind.known.add(data.uri)
    if new_id is not None:
        return int(new_id)
    found = (
        await session.execute(
            select(RemoteObject.id, RemoteObject.actor_id).where(RemoteObject.uri == data.uri)
        )
    ).first()
    if found is None:  # pragma: no cover - the INSERT met it a moment ago
        raise RuntimeError(f"{data.uri} is neither new nor held")
    object_id, actor_id = found
    if actor_id != author.id:
        raise InvalidDocument(f"{data.uri} belongs to another actor")
    row = await session.get(RemoteObject, object_id)
    if row is None:  # pragma: no cover - read just now in this transaction
        raise RuntimeError(f"{data.uri} is gone")
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    return int(object_id)


def _columns(svc: Services, data: RemoteObjectData) -> dict[str, Any]:
    """A remote post's columns, as we keep them (sanitised, trimmed)."""
    return {
        "type": data.type,
        "in_reply_to_uri": data.in_reply_to,
        "is_reply": data.is_reply,
        "quote_uri": data.quote,
        "name": html_to_text(data.name)[:500],
        "summary": html_to_text(data.summary),
        "content_html": sanitise_html(data.content),
        "language": data.language,
        "url": data.url if data.url and not svc.uris.is_ours(data.url) else None,
        "sensitive": data.sensitive or bool(data.summary),
        "is_public": data.is_public,
        "attachments": [
            {
                "url": a.url,
                "media_type": a.media_type,
                "name": a.name,
                "sensitive": a.sensitive,
                "blurhash": a.blurhash,
                "width": a.width,
                "height": a.height,
            }
            for a in data.attachments
        ],
        "tags": [{"type": "Hashtag", "name": t, "key": normalise_tag(t)} for t in data.hashtags],
        "poll": [{"name": o.name, "votes": o.votes} for o in data.poll],
        "poll_multiple": data.poll_multiple,
        "published": _parse_time(data.published) or svc.clock.now(),
        "updated_at": _parse_time(data.updated),
        "deleted_at": None,
    }


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


__all__ = [
    "FetchError",
    "fetch_object",
    "held_among",
    "keep_later",
    "keep_object",
    "posts_written_behind",
    "store_object",
]
