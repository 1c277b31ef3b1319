"""Remote posts we keep: stored sanitised, fetched from their origin when only referenced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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
    now = svc.clock.now()
    row = await session.scalar(select(RemoteObject).where(RemoteObject.uri == data.uri))
    if row is None:
        row = RemoteObject(uri=data.uri, actor_id=author.id, received_at=now)
        session.add(row)
    elif row.actor_id != author.id:
        raise InvalidDocument(f"{data.uri} belongs to another actor")
    row.type = data.type
    row.in_reply_to_uri = data.in_reply_to
    row.is_reply = data.is_reply
    row.quote_uri = data.quote
    row.name = html_to_text(data.name)[:500]
    row.summary = html_to_text(data.summary)
    row.content_html = sanitise_html(data.content)
    row.language = data.language
    row.url = data.url if data.url and not svc.uris.is_ours(data.url) else None
    row.sensitive = data.sensitive or bool(data.summary)
    row.is_public = data.is_public
    row.attachments = [
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
    ]
    row.tags = [{"type": "Hashtag", "name": t, "key": normalise_tag(t)} for t in data.hashtags]
    row.poll = [{"name": o.name, "votes": o.votes} for o in data.poll]
    row.poll_multiple = data.poll_multiple
    row.published = _parse_time(data.published) or now
    row.updated_at = _parse_time(data.updated)
    row.deleted_at = None
    await session.flush()
    return row


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


__all__ = ["FetchError", "fetch_object", "store_object"]
