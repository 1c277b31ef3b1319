"""Solidarity boosts: the network stands with workers' struggles anywhere (the seed's fourth
axis). A curator gives the address of any public post on the fediverse; it is fetched from
its origin through the safe fetcher and shown; with an editorial note, the network boosts it
(to its followers, its relays and the post's author), and can take the boost back."""

from __future__ import annotations

from sqlalchemy import select

from actors.directory import get_local
from actors.models import Actor, ActorKind
from actors.resolver import resolve_actor
from content.html import html_to_text
from inbox.models import RemoteObject
from inbox.objects import fetch_object, store_object
from network.booster import CurationError, boost, withdraw
from network.models import CurationItem, CurationState
from runtime.services import Services

SOLIDARITY = "solidarity"
MAX_NOTE = 2000


async def fetch_post(svc: Services, url: str) -> tuple[RemoteObject, Actor]:
    """A public post from elsewhere, fetched from its origin (never from a copy) and kept."""
    address = url.strip()
    if not address.startswith(("https://", "http://")):
        raise CurationError("give the address (URL) of a post, as your app's Copy link shows it")
    if svc.uris.is_ours(address):
        raise CurationError("that post is on this server: the network boosts its members' posts")
    data = await fetch_object(svc, address)
    author = await resolve_actor(svc, data.attributed_to)
    if not data.is_public:
        raise CurationError("only public posts can be boosted")
    async with svc.db.transaction() as session:
        kept = await store_object(session, svc, data, author)
        return kept, author


async def solidarity_boost(
    svc: Services, network_name: str, url: str, *, note: str = "", curator: str | None = None
) -> CurationItem:
    if len(note) > MAX_NOTE:
        raise CurationError(f"the note is longer than {MAX_NOTE} characters")
    kept, author = await fetch_post(svc, url)
    async with svc.db.transaction() as session:
        network = await get_local(session, network_name)
        if network.kind != ActorKind.network:
            raise CurationError(f"{network.handle} is not a network")
        already = await session.scalar(
            select(CurationItem).where(
                CurationItem.network_id == network.id,
                CurationItem.object_uri == kept.uri,
                CurationItem.state == CurationState.boosted,
            )
        )
        if already is not None:
            raise CurationError("the network has already boosted this post")
        now = svc.clock.now()
        item = CurationItem(
            network_id=network.id,
            member_id=None,
            object_uri=kept.uri,
            source=SOLIDARITY,
            language=kept.language,
            kind=kept.type.lower(),
            excerpt=html_to_text(kept.content_html)[:500],
            state=CurationState.pending,
            rule="boosted in solidarity by a curator",
            received_at=now,
        )
        session.add(item)
        await session.flush()
        await boost(session, svc, network, item, curator=curator, note=note.strip(), author=author)
        return item


async def take_back(svc: Services, network_name: str, url: str) -> int:
    """Undo the network's boost of a post (an Undo(Announce) wherever the boost went)."""
    async with svc.db.transaction() as session:
        network = await get_local(session, network_name)
        item = await session.scalar(
            select(CurationItem).where(
                CurationItem.network_id == network.id,
                CurationItem.object_uri == url.strip(),
                CurationItem.state == CurationState.boosted,
            )
        )
        if item is None:
            raise CurationError("the network has not boosted that post")
        return await withdraw(session, svc, item.object_uri)


async def solidarity_items(svc: Services, network_id: int) -> list[CurationItem]:
    async with svc.db.reader() as session:
        return list(
            await session.scalars(
                select(CurationItem)
                .where(
                    CurationItem.network_id == network_id,
                    CurationItem.source == SOLIDARITY,
                    CurationItem.state == CurationState.boosted,
                )
                .order_by(CurationItem.decided_at.desc())
                .limit(50)
            )
        )
