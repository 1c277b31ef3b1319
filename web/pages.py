"""HTML pages for our actors and posts (the URLs that also serve ActivityPub JSON), media files,
and errors."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from actors.directory import find_local
from actors.models import Actor, ActorKind, Follow, FollowState
from content.html import html_to_text
from content.mediastore import MediaStore
from inbox.models import RemoteObject
from outbox import participation, statements
from outbox.kinds import PRINTABLE_KINDS, CampaignDetails, EventDetails, details_from_json
from outbox.models import Post, PostRevision, PostState, Visibility
from outbox.queries import related_of
from outbox.recurrence import Occurrence, upcoming
from outbox.vocabulary import CAMPAIGN_STATUS, SECTOR_NAMES, STRIKE_STATUS
from runtime.services import services
from web import reading
from web.templating import Pages


def pages(request: Request) -> Pages:
    found: Pages = request.state.pages
    return found


def not_found(request: Request, message: str = "There is nothing at this address.") -> Response:
    _ = pages(request).gettext(request)
    return pages(request).render(
        request, "error.html", {"title": _("Not found"), "message": _(message)}, status_code=404
    )


def _page(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10_000 else 1


async def actor_page(request: Request) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        actor = await find_local(session, request.path_params["username"])
        if actor is None or actor.kind in (ActorKind.instance, ActorKind.remote):
            return not_found(request, "No organisation by that name publishes here.")
        followers = (
            await session.scalar(
                select(func.count())
                .select_from(Follow)
                .where(Follow.followed_id == actor.id, Follow.state == FollowState.accepted)
            )
            or 0
        )
        if actor.kind == ActorKind.network:
            entries, total = await reading.network_feed(
                session, actor, svc.uris.media, _page(request)
            )
        else:
            entries, total = await reading.public_posts(
                session, svc.uris.media, actor_id=actor.id, page=_page(request)
            )
    return pages(request).render(
        request,
        "actor.html",
        {
            "actor": actor,
            "handle": f"@{actor.username}@{svc.settings.host}",
            "followers": followers,
            "entries": entries,
            "total": total,
            "page": _page(request),
            "per_page": reading.PER_PAGE,
        },
    )


async def profile_alias(request: Request) -> Response:
    """`/@name` is the profile page; servers asking for JSON are sent to the actor document."""
    username = request.path_params["username"]
    if "json" in request.headers.get("accept", ""):
        return RedirectResponse(services(request).uris.actor(username), status_code=302)
    return await actor_page(request)


async def post_page(request: Request) -> Response:
    svc = services(request)
    _ = pages(request).gettext(request)
    async with svc.db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.public_id == request.path_params["object_id"])
        )
        if post is None or post.state == PostState.scheduled:
            return not_found(request)
        if post.state == PostState.deleted:
            return pages(request).render(
                request,
                "error.html",
                {"title": _("Deleted"), "message": _("This post was deleted by its publisher.")},
                status_code=410,
            )
        if post.visibility == Visibility.followers:
            return not_found(request)
        related = await related_of(session, post)
        replies = await _replies(session, post.uri)
        revisions = list(
            await session.scalars(
                select(PostRevision)
                .where(PostRevision.post_id == post.id)
                .order_by(PostRevision.id)
            )
        )
    details = details_from_json(post.kind, post.details)
    dates: list[Occurrence] = []
    if isinstance(details, EventDetails) and details.recurrence:
        dates = upcoming(
            details.occurrences(),
            svc.clock.now(),
            limit=6,
        )
    attending: dict[str, int] = {}
    attendees: list[Actor] = []
    if isinstance(details, EventDetails):
        async with svc.db.reader() as session:
            attending = await participation.counts(session, post.id)
            if details.participants_public:
                attendees = [
                    a
                    for p, a in await participation.participants(session, post.id)
                    if p.state == "accepted"
                ]
    signers: list[Actor] | None = None
    async with svc.db.reader() as session:
        if await statements.statement_of(session, post.id) is not None:
            signers = await statements.signatories(session, post.id)
    timeline: list[tuple[str, str]] = []
    days = None
    if isinstance(details, CampaignDetails):
        timeline = _status_timeline(post, revisions, details)
        days = reading.days_in_prison(
            details.arrested_on, details.released_on, svc.clock.now().date()
        )
    body_text = " ".join(html_to_text(post.body_html or post.content_html).split())
    reader = pages(request).language_of(request)
    return pages(request).render(
        request,
        "post.html",
        {
            "post": post,
            "printable": post.kind in PRINTABLE_KINDS,
            # A written teaser leads the article; one made from the body's first words would
            # only say them twice.
            "lead": "" if _opens(body_text, post.summary) else post.summary,
            "author": related.author,
            "details": details,
            "body_html": post.body_html or post.content_html,
            "images": [
                (svc.uris.media(a.file_name), a.alt_text, a.width, a.height)
                for a in related.attachments
            ],
            "translations": related.translations,
            # A reader who landed on another edition is told at the top that theirs exists.
            "translation_for_reader": ""
            if _base(post.language) == reader
            else next((uri for uri, lang in related.translations if _base(lang) == reader), ""),
            "host": svc.settings.host,
            "replies": replies,
            "excerpt": (post.summary or html_to_text(post.body_html or post.content_html))[:200],
            "timeline": timeline,
            "occurrences": dates,
            "attending": attending,
            "attendees": attendees,
            "signers": signers,
            "days_in_prison": days,
            "strike_statuses": STRIKE_STATUS,
            "campaign_statuses": CAMPAIGN_STATUS,
            "sector_names": SECTOR_NAMES,
        },
    )


def _base(language: str) -> str:
    return language.split("-", 1)[0].lower()


def _opens(text: str, summary: str) -> bool:
    """Is `summary` the opening of `text` (a teaser cut from it, perhaps ending in "…")?"""
    opening = " ".join(summary.split()).removesuffix("…").strip()
    return bool(opening) and text.startswith(opening)


def _status_timeline(
    post: Post, revisions: list[PostRevision], current: CampaignDetails
) -> list[tuple[str, str]]:
    """When each status began: the first version's publication, then every edit that changed it."""
    statuses = [r.details.get("status") for r in revisions] + [current.status]
    starts = [post.published_at] + [r.valid_until for r in revisions]
    timeline: list[tuple[str, str]] = []
    for when, status in zip(starts, statuses, strict=True):
        if (
            when is not None
            and isinstance(status, str)
            and (not timeline or timeline[-1][1] != status)
        ):
            timeline.append((when.date().isoformat(), status))
    return timeline


async def _replies(session: AsyncSession, uri: str) -> list[reading.Entry]:
    rows = (
        await session.execute(
            select(RemoteObject, Actor)
            .join(Actor, Actor.id == RemoteObject.actor_id)
            .where(
                RemoteObject.in_reply_to_uri == uri,
                RemoteObject.deleted_at.is_(None),
                RemoteObject.is_public,
            )
            .order_by(RemoteObject.published)
        )
    ).all()
    return [reading.remote_entry(obj, actor, kind="reply") for obj, actor in rows]


async def media_file(request: Request) -> Response:
    store = MediaStore(services(request).settings.media_dir)
    name = request.path_params["name"]
    path = store.path_of(name)
    if path is None:
        raise HTTPException(404, "no such media file")
    return FileResponse(
        path,
        media_type=store.media_type(name),
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
