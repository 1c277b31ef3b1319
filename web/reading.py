"""What the public pages show, as plain values for templates: our posts and the network's boosts
as `Entry`s, the strike tracker, the map's numbers, events and campaigns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, ActorKind
from content.blurhash import average_colour
from content.html import html_to_text
from inbox.models import RemoteObject
from network.members import list_members
from network.models import CurationItem, CurationState, Member
from outbox.fields_html import next_occurrence
from outbox.kinds import EventDetails, PostKind, details_from_json
from outbox.models import Attachment, Post, PostState, PostTag, Visibility
from storage.search import search_posts

PER_PAGE = 20
MediaUrl = Callable[[str], str]


@dataclass(frozen=True)
class RemoteMedia:
    """A remote attachment, shown as a link (never loaded from its server by the reader's
    browser: docs/security.md, "Remote media")."""

    url: str
    kind: str  # image, video, audio or file
    media_type: str
    alt: str
    sensitive: bool
    width: int | None
    height: int | None
    colour: str  # the blurhash's average colour, "#rrggbb", or ""


@dataclass
class Entry:
    url: str
    kind: str
    title: str
    summary: str
    body_html: str
    language: str
    sensitive: bool
    published: datetime | None
    author_name: str
    author_handle: str
    author_url: str
    is_local: bool
    post: Post | None = None
    details: object | None = None
    images: list[tuple[str, str, int, int]] = field(default_factory=list)  # (url, alt, w, h)
    # How the network came to boost it: "" (not a boost), "rules" (a trusted member's post that
    # passed every rule) or "curator" (approved by hand); the page says it in the reader's language.
    provenance: str = ""
    provenance_note: str = ""  # the curator's editorial note, as written
    warning: str = ""  # the content warning: when set, the content is folded behind it
    media: list[RemoteMedia] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    quote_url: str = ""
    reply_to_url: str = ""
    poll: list[tuple[str, int | None]] = field(default_factory=list)
    full_html: bool = False  # show the whole sanitised body (remote articles), not an excerpt

    @property
    def excerpt(self) -> str:
        text = self.summary or html_to_text(self.body_html)
        return text if len(text) <= 280 else text[:279].rsplit(" ", 1)[0] + "…"


async def primary_network(session: AsyncSession) -> Actor | None:
    return await session.scalar(
        select(Actor)
        .where(Actor.kind == ActorKind.network, Actor.deleted_at.is_(None))
        .order_by(Actor.id)
        .limit(1)
    )


async def entries_for_posts(
    session: AsyncSession, posts: Sequence[Post], media_url: MediaUrl
) -> list[Entry]:
    if not posts:
        return []
    authors = {
        a.id: a
        for a in await session.scalars(
            select(Actor).where(Actor.id.in_({p.actor_id for p in posts}))
        )
    }
    images: dict[int, list[tuple[str, str, int, int]]] = {}
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.post_id.in_([p.id for p in posts]), Attachment.position < 100)
        .order_by(Attachment.position)
    )
    for a in rows:
        images.setdefault(a.post_id, []).append(
            (media_url(a.file_name), a.alt_text, a.width, a.height)
        )
    entries = []
    for post in posts:
        author = authors[post.actor_id]
        entries.append(
            Entry(
                url=post.uri,
                kind=post.kind,
                title=post.title,
                summary=post.summary if post.kind in (PostKind.article, PostKind.event) else "",
                body_html=post.body_html or post.content_html,
                language=post.language,
                sensitive=post.sensitive,
                published=post.published_at,
                author_name=author.display_name,
                author_handle=f"@{author.username}@{author.domain}",
                author_url=author.url or author.uri,
                is_local=True,
                post=post,
                details=details_from_json(post.kind, post.details),
                images=images.get(post.id, []),
            )
        )
    return entries


def remote_entry(obj: RemoteObject, author: Actor, *, kind: str | None = None) -> Entry:
    """A post from elsewhere as its author wrote it: the warning, media, tags, poll, quote."""
    return Entry(
        url=obj.url or obj.uri,
        kind=kind or obj.type.lower(),
        title=obj.name if obj.type in TITLED_TYPES or not obj.content_html.strip() else "",
        summary="",
        body_html=obj.content_html,
        language=obj.language,
        sensitive=obj.sensitive,
        published=obj.published,
        author_name=author.display_name or author.username,
        author_handle=f"@{author.username}@{author.domain}",
        author_url=author.url or author.uri,
        is_local=False,
        warning=obj.summary if obj.sensitive else "",
        media=[_remote_media(a) for a in obj.attachments or [] if isinstance(a, dict)],
        tags=[str(t.get("name")) for t in obj.tags or [] if isinstance(t, dict) and t.get("name")],
        quote_url=obj.quote_uri or "",
        reply_to_url=obj.in_reply_to_uri or "",
        poll=[
            (str(o.get("name", "")), o.get("votes") if isinstance(o.get("votes"), int) else None)
            for o in obj.poll or []
            if isinstance(o, dict)
        ],
        full_html=True,
    )


TITLED_TYPES = frozenset({"Article", "Page", "Event", "Video", "Audio", "Document"})


async def remote_entries(session: AsyncSession, uris: Sequence[str]) -> dict[str, Entry]:
    """The remote posts we keep among `uris`, by uri, as their authors wrote them."""
    if not uris:
        return {}
    rows = (
        await session.execute(
            select(RemoteObject, Actor)
            .join(Actor, Actor.id == RemoteObject.actor_id)
            .where(RemoteObject.uri.in_(set(uris)), RemoteObject.deleted_at.is_(None))
        )
    ).all()
    return {obj.uri: remote_entry(obj, author) for obj, author in rows}


def _remote_media(item: dict[str, object]) -> RemoteMedia:
    media_type = str(item.get("media_type") or "")
    kind = media_type.split("/", 1)[0] if "/" in media_type else ""
    width, height = item.get("width"), item.get("height")
    return RemoteMedia(
        url=str(item.get("url", "")),
        kind=kind if kind in {"image", "video", "audio"} else "file",
        media_type=media_type,
        alt=str(item.get("name") or ""),
        sensitive=item.get("sensitive") is True,
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
        colour=average_colour(str(item.get("blurhash") or "")),
    )


def _listed() -> list[ColumnElement[bool]]:
    return [Post.state == PostState.published, Post.visibility == Visibility.public]


async def public_posts(
    session: AsyncSession,
    media_url: MediaUrl,
    *,
    actor_id: int | None = None,
    kind: str | None = None,
    language: str | None = None,
    tag: str | None = None,
    page: int = 1,
    replies: bool = False,
) -> tuple[list[Entry], int]:
    conditions = _listed()
    if actor_id is not None:
        conditions.append(Post.actor_id == actor_id)
    if kind:
        conditions.append(Post.kind == kind)
    if language:
        conditions.append(func.lower(Post.language).like(language.lower().split("-")[0] + "%"))
    if not replies:
        conditions.append(Post.in_reply_to_uri.is_(None))
    query = select(Post).where(*conditions)
    if tag:
        query = query.join(PostTag, PostTag.post_id == Post.id).where(PostTag.tag == tag)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    posts = list(
        await session.scalars(
            query.order_by(Post.published_at.desc(), Post.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    )
    return await entries_for_posts(session, posts, media_url), total


async def posts_by_ids(
    session: AsyncSession, ids: Sequence[int], media_url: MediaUrl
) -> list[Entry]:
    if not ids:
        return []
    posts = {
        p.id: p for p in await session.scalars(select(Post).where(Post.id.in_(ids), *_listed()))
    }
    return await entries_for_posts(session, [posts[i] for i in ids if i in posts], media_url)


async def search(session: AsyncSession, query: str, media_url: MediaUrl) -> list[Entry]:
    return await posts_by_ids(session, await search_posts(session, query), media_url)


async def network_feed(
    session: AsyncSession, network: Actor, media_url: MediaUrl, page: int = 1
) -> tuple[list[Entry], int]:
    """The network's boosts, newest first, each with where it came from."""
    boosted = and_(
        CurationItem.network_id == network.id, CurationItem.state == CurationState.boosted
    )
    total = await session.scalar(select(func.count()).select_from(CurationItem).where(boosted)) or 0
    items = (  # the columns shown, not the stored Create activities
        await session.execute(
            select(
                CurationItem.object_uri,
                CurationItem.kind,
                CurationItem.decided_by,
                CurationItem.note,
                CurationItem.source,
            )
            .where(boosted)
            .order_by(CurationItem.decided_at.desc(), CurationItem.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE)
        )
    ).all()
    uris = [i.object_uri for i in items]
    local = {
        p.uri: p for p in await session.scalars(select(Post).where(Post.uri.in_(uris), *_listed()))
    }
    local_entries = {
        e.url: e for e in await entries_for_posts(session, list(local.values()), media_url)
    }
    remote = {
        o.uri: o
        for o in await session.scalars(
            select(RemoteObject).where(
                RemoteObject.uri.in_(uris), RemoteObject.deleted_at.is_(None)
            )
        )
    }
    actors = {
        a.id: a
        for a in await session.scalars(
            select(Actor).where(Actor.id.in_({o.actor_id for o in remote.values()}))
        )
    }
    entries = []
    for item in items:
        entry = local_entries.get(item.object_uri)
        obj = remote.get(item.object_uri)
        if entry is None and obj is not None:
            entry = remote_entry(obj, actors[obj.actor_id], kind=item.kind or None)
        if entry is not None:
            entry.provenance = (
                "solidarity"
                if item.source == "solidarity"
                else "curator"
                if item.decided_by
                else "rules"
            )
            entry.provenance_note = item.note
            entries.append(entry)
    return entries, total


@dataclass(frozen=True)
class StrikeFilters:
    country: str = ""
    sector: str = ""
    status: str = ""
    since: str = ""  # YYYY-MM-DD
    until: str = ""


STRIKES_PER_PAGE = 50


async def strikes(
    session: AsyncSession, filters: StrikeFilters, media_url: MediaUrl, page: int = 1
) -> tuple[list[Entry], list[tuple[str, int]], int]:
    """Strike reports matching the filters, newest first (one page), their count per month
    (all of them) and how many match."""
    conditions = [*_listed(), Post.kind == PostKind.strike]
    details = Post.details
    if filters.country:
        conditions.append(details["country"].as_string() == filters.country.upper())
    if filters.sector:
        conditions.append(details["sector"].as_string() == filters.sector)
    if filters.status:
        conditions.append(details["status"].as_string() == filters.status)
    if filters.since:
        conditions.append(details["start_date"].as_string() >= filters.since)
    if filters.until:
        conditions.append(details["start_date"].as_string() <= filters.until)
    month = func.substr(details["start_date"].as_string(), 1, 7)
    months = [
        (str(m), int(n))
        for m, n in await session.execute(
            select(month, func.count()).where(*conditions).group_by(month).order_by(month)
        )
        if m
    ]
    total = sum(n for _m, n in months)
    posts = list(
        await session.scalars(
            select(Post)
            .where(*conditions)
            .order_by(Post.published_at.desc(), Post.id.desc())
            .offset((page - 1) * STRIKES_PER_PAGE)
            .limit(STRIKES_PER_PAGE)
        )
    )
    return await entries_for_posts(session, posts, media_url), months, total


async def country_counts(
    session: AsyncSession, network: Actor | None
) -> dict[str, tuple[int, int]]:
    """Per country: (members, strike reports)."""
    members: Counter[str] = Counter()
    if network is not None:
        for member, _actor in await list_members(session, network):
            members[member.country] += 1
    reports = Counter(
        str(country)
        for country in await session.scalars(
            select(Post.details["country"].as_string()).where(
                *_listed(), Post.kind == PostKind.strike
            )
        )
        if country
    )
    return {c: (members[c], reports[c]) for c in set(members) | set(reports)}


EVENTS_PER_PAGE = 50


async def upcoming_events(
    session: AsyncSession,
    now: datetime,
    media_url: MediaUrl,
    *,
    page: int = 1,
    as_next: bool = True,
) -> list[Entry]:
    """Events not yet over, soonest first (one page of them); a repeating event shows its next
    occurrence."""
    ends = func.coalesce(Post.details["ends_at"].as_string(), Post.details["starts_at"].as_string())
    repeats = func.coalesce(Post.details["recurrence"].as_string(), "") != ""
    events = list(
        await session.scalars(
            select(Post)
            .where(
                *_listed(), Post.kind == PostKind.event, or_(repeats, ends >= now.isoformat()[:16])
            )
            .order_by(Post.details["starts_at"].as_string(), Post.id)
            .offset((page - 1) * EVENTS_PER_PAGE)
            .limit(EVENTS_PER_PAGE)
        )
    )
    entries = await entries_for_posts(session, events, media_url)
    shown = []
    for entry in entries:
        details = entry.details
        if isinstance(details, EventDetails) and details.recurrence:
            following = next_occurrence(details, now)
            if following is None:
                continue  # every meeting of it is over
            entry.details = following
        shown.append(entry)
    return sorted(
        shown,
        key=lambda e: (
            datetime.fromisoformat(e.details.starts_at)
            if isinstance(e.details, EventDetails)
            else now
        ),
    )


def days_in_prison(arrested_on: str | None, released_on: str | None, today: date) -> int | None:
    if not arrested_on:
        return None
    end = date.fromisoformat(released_on) if released_on else today
    return max(0, (end - date.fromisoformat(arrested_on)).days)


async def members_by_country(
    session: AsyncSession, network: Actor
) -> list[tuple[str, list[tuple[Member, Actor]]]]:
    grouped: dict[str, list[tuple[Member, Actor]]] = {}
    for member, actor in await list_members(session, network):
        grouped.setdefault(member.country, []).append((member, actor))
    return sorted(grouped.items())
