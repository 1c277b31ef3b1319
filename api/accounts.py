"""The instance, accounts (the token's organisation and any actor we know), relationships,
follow requests, following, preferences, custom emojis, markers and search."""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.models import Actor, ActorKind, Follow, FollowState
from actors.resolver import ResolveError, resolve_handle
from api import entities
from api.auth import Caller, api_view, json
from api.errors import ApiError, not_found, present
from api.ids import row_number
from api.models import ApiMarker
from api.params import read_params
from api.statuses import MAX_CHARACTERS, MAX_MEDIA, Render
from content.i18n import INTERFACE_LANGUAGES
from content.images import MAX_BYTES as MAX_IMAGE_BYTES
from content.images import MAX_PIXELS
from core.version import SOFTWARE_VERSION
from federation.errors import FederationError
from inbox.models import RemoteObject
from outbox.follows import accept_follow, follow, reject_follow, unfollow
from outbox.models import Post, PostState
from outbox.queries import local_post_count
from runtime.services import services

MASTODON_COMPATIBLE = "4.3.0"
IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"]


def _configuration() -> dict[str, Any]:
    return {
        "statuses": {
            "max_characters": MAX_CHARACTERS,
            "max_media_attachments": MAX_MEDIA,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": IMAGE_TYPES,
            "image_size_limit": MAX_IMAGE_BYTES,
            "image_matrix_limit": MAX_PIXELS,
            "video_size_limit": 0,
            "video_frame_rate_limit": 0,
            "video_matrix_limit": 0,
            "description_limit": 1500,
        },
        "polls": {
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 5},
        "translation": {"enabled": False},
    }


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    users = (
        await session.scalar(
            select(func.count())
            .select_from(Actor)
            .where(
                Actor.kind.in_([ActorKind.organization, ActorKind.network]),
                Actor.deleted_at.is_(None),
            )
        )
        or 0
    )
    domains = (
        await session.scalar(
            select(func.count(func.distinct(Actor.domain))).where(Actor.kind == ActorKind.remote)
        )
        or 0
    )
    return users, await local_post_count(session), domains


async def instance_v1(request: Request, caller: Caller) -> Response:
    svc = services(request)
    settings = svc.settings
    async with svc.db.reader() as session:
        users, posts, domains = await _counts(session)
    return json(
        {
            "uri": settings.host,
            "title": settings.instance_name,
            "short_description": settings.instance_description,
            "description": settings.instance_description,
            "email": settings.contact_email or "",
            "version": f"{MASTODON_COMPATIBLE} (compatible; Hambastegi {SOFTWARE_VERSION})",
            "urls": {"streaming_api": ""},
            "stats": {"user_count": users, "status_count": posts, "domain_count": domains},
            "thumbnail": None,
            "languages": list(INTERFACE_LANGUAGES),
            "registrations": False,
            "approval_required": True,
            "invites_enabled": False,
            "configuration": _configuration(),
            "contact_account": None,
            "rules": [],
        }
    )


async def instance_v2(request: Request, caller: Caller) -> Response:
    svc = services(request)
    settings = svc.settings
    async with svc.db.reader() as session:
        users, _posts, _domains = await _counts(session)
    return json(
        {
            "domain": settings.host,
            "title": settings.instance_name,
            "version": f"{MASTODON_COMPATIBLE} (compatible; Hambastegi {SOFTWARE_VERSION})",
            "source_url": "https://github.com/",
            "description": settings.instance_description,
            "usage": {"users": {"active_month": users}},
            "thumbnail": {"url": f"{settings.base_url}/static/site.css", "blurhash": None},
            "icon": [],
            "languages": list(INTERFACE_LANGUAGES),
            "configuration": {"urls": {"streaming": ""}, **_configuration()},
            "registrations": {"enabled": False, "approval_required": True, "message": None},
            "api_versions": {"mastodon": 2},
            "contact": {"email": settings.contact_email or "", "account": None},
            "rules": [],
        }
    )


async def verify_credentials(request: Request, caller: Caller) -> Response:
    holder = caller.holder
    only_profile = holder is not None and holder.allows("profile")
    actor = caller.needs("profile" if only_profile else "read:accounts")
    svc = services(request)
    async with svc.db.reader() as session:
        counts = await entities.account_counts(session, actor)
    return json(entities.credential_account(actor, counts, svc.settings.default_language))


async def _actor(session: AsyncSession, raw: str) -> Actor:
    actor = await session.get(Actor, number) if (number := row_number(raw)) else None
    if actor is None or actor.deleted_at is not None or actor.kind == ActorKind.instance:
        raise not_found()
    return actor


async def get_account(request: Request, caller: Caller) -> Response:
    caller.may_read("read:accounts")
    svc = services(request)
    async with svc.db.reader() as session:
        actor = await _actor(session, request.path_params["account_id"])
        return json(entities.account(actor, await entities.account_counts(session, actor)))


async def lookup(request: Request, caller: Caller) -> Response:
    caller.may_read("read:accounts")
    params = await read_params(request)
    acct = params.text("acct", max_length=300).lstrip("@")
    svc = services(request)
    username, _, domain = acct.partition("@")
    async with svc.db.reader() as session:
        actor = await session.scalar(
            select(Actor).where(
                Actor.username == username,
                Actor.domain == (domain or svc.settings.host),
                Actor.deleted_at.is_(None),
                Actor.kind != ActorKind.instance,
            )
        )
        if actor is None:
            raise not_found()
        return json(entities.account(actor, await entities.account_counts(session, actor)))


async def _relationship(session: AsyncSession, me: Actor, other: Actor) -> dict[str, Any]:
    mine = await session.scalar(
        select(Follow).where(Follow.follower_id == me.id, Follow.followed_id == other.id)
    )
    theirs = await session.scalar(
        select(Follow).where(Follow.follower_id == other.id, Follow.followed_id == me.id)
    )
    return {
        "id": str(other.id),
        "following": mine is not None and mine.state == FollowState.accepted,
        "showing_reblogs": True,
        "notifying": False,
        "languages": None,
        "followed_by": theirs is not None and theirs.state == FollowState.accepted,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
        "muting_notifications": False,
        "requested": mine is not None and mine.state == FollowState.pending,
        "requested_by": theirs is not None and theirs.state == FollowState.pending,
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


async def relationships(request: Request, caller: Caller) -> Response:
    me = caller.needs("read:follows")
    params = await read_params(request)
    svc = services(request)
    async with svc.db.reader() as session:
        answer = []
        for raw in params.items("id", max_items=40):
            other = await session.get(Actor, number) if (number := row_number(raw)) else None
            if other is not None:
                answer.append(await _relationship(session, me, other))
    return json(answer)


async def follow_account(request: Request, caller: Caller) -> Response:
    me = caller.needs("write:follows")
    svc = services(request)
    async with svc.db.reader() as session:
        other = await _actor(session, request.path_params["account_id"])
    if other.id == me.id:
        raise ApiError(422, "Validation failed: an account cannot follow itself")
    try:
        await follow(svc, me, other)
    except Exception as exc:  # FollowError and federation refusals: say why
        raise ApiError(422, f"Validation failed: {exc}") from exc
    async with svc.db.reader() as session:
        return json(await _relationship(session, me, other))


async def unfollow_account(request: Request, caller: Caller) -> Response:
    me = caller.needs("write:follows")
    svc = services(request)
    async with svc.db.reader() as session:
        other = await _actor(session, request.path_params["account_id"])
    await unfollow(svc, me, other)
    async with svc.db.reader() as session:
        return json(await _relationship(session, me, other))


async def follow_requests(request: Request, caller: Caller) -> Response:
    me = caller.needs("read:follows")
    params = await read_params(request)
    svc = services(request)
    async with svc.db.reader() as session:
        rows = await session.execute(
            select(Actor)
            .join(Follow, Follow.follower_id == Actor.id)
            .where(Follow.followed_id == me.id, Follow.state == FollowState.pending)
            .order_by(Follow.id.desc())
            .limit(params.limit(40, 80))
        )
        return json([entities.account(a) for (a,) in rows])


async def decide_request(request: Request, caller: Caller) -> Response:
    me = caller.needs("write:follows")
    svc = services(request)
    approve = request.url.path.endswith("/authorize")
    async with svc.db.transaction() as session:
        other = await _actor(session, request.path_params["account_id"])
        row = await session.scalar(
            select(Follow).where(
                Follow.follower_id == other.id,
                Follow.followed_id == me.id,
                Follow.state == FollowState.pending,
            )
        )
        if row is None:
            raise not_found()
        followed = present(await session.get(Actor, me.id))
        if approve:
            await accept_follow(session, svc, row, other, followed)
        else:
            await reject_follow(session, svc, row, other, followed)
    async with svc.db.reader() as session:
        return json(await _relationship(session, me, other))


async def preferences(request: Request, caller: Caller) -> Response:
    me = caller.needs("read:accounts")
    return json(
        {
            "posting:default:visibility": "public",
            "posting:default:sensitive": False,
            "posting:default:language": me.language or None,
            "reading:expand:media": "default",
            "reading:expand:spoilers": False,
        }
    )


async def custom_emojis(request: Request, caller: Caller) -> Response:
    return json([])


async def markers(request: Request, caller: Caller) -> Response:
    svc = services(request)
    params = await read_params(request)
    if request.method == "GET":
        me = caller.needs("read:statuses")
        wanted = params.items("timeline", max_items=2) or ["home", "notifications"]
        async with svc.db.reader() as session:
            rows = await session.scalars(
                select(ApiMarker).where(ApiMarker.actor_id == me.id, ApiMarker.timeline.in_(wanted))
            )
            return json({r.timeline: _marker(r) for r in rows})
    me = caller.needs("write:statuses")
    async with svc.db.transaction() as session:
        answer = {}
        for timeline in ("home", "notifications"):
            given = params.values.get(timeline)
            last = (
                given.get("last_read_id")
                if isinstance(given, dict)
                else params.values.get(f"{timeline}[last_read_id]")
            )
            if last is None:
                continue
            if not isinstance(last, str) or len(last) > 40:
                raise ApiError(422, f"Validation failed: {timeline}[last_read_id] must be an id")
            row = await session.scalar(
                select(ApiMarker).where(ApiMarker.actor_id == me.id, ApiMarker.timeline == timeline)
            )
            if row is None:
                row = ApiMarker(actor_id=me.id, timeline=timeline, version=0)
                session.add(row)
            row.last_read_id = last
            row.version = (row.version or 0) + 1
            row.updated_at = svc.clock.now()
            await session.flush()
            answer[timeline] = _marker(row)
    return json(answer)


def _marker(row: ApiMarker) -> dict[str, Any]:
    return {
        "last_read_id": row.last_read_id,
        "version": row.version,
        "updated_at": entities.iso(row.updated_at),
    }


async def search(request: Request, caller: Caller) -> Response:
    caller.may_read("read:search")
    params = await read_params(request)
    query = params.text("q", max_length=500).strip()
    wanted = params.text("type", max_length=20)
    resolve = params.flag("resolve") and caller.actor is not None
    limit = params.limit(5, 40)
    svc = services(request)
    accounts: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    if not query:
        return json({"accounts": [], "statuses": [], "hashtags": []})
    if wanted in ("", "accounts"):
        handle = query.lstrip("@")
        if resolve and "@" in handle and "/" not in handle:
            with contextlib.suppress(ResolveError, FederationError):
                await resolve_handle(svc, handle)  # not found: an empty answer, as Mastodon
        username, _, domain = handle.partition("@")
        async with svc.db.reader() as session:
            found = await session.scalars(
                select(Actor)
                .where(
                    Actor.username.ilike(f"{username.replace('%', '')}%"),
                    Actor.deleted_at.is_(None),
                    Actor.kind.in_([ActorKind.organization, ActorKind.network, ActorKind.remote]),
                    *([Actor.domain == domain] if domain else []),
                )
                .limit(limit)
            )
            accounts = [entities.account(a) for a in found]
    if wanted in ("", "statuses") and query.startswith(("https://", "http://")):
        async with svc.db.reader() as session:
            render = Render(session, svc, caller)
            post = await session.scalar(select(Post).where(Post.uri == query))
            if post is not None and post.state == PostState.published:
                statuses.append(await render.post(post))
            obj = await session.scalar(select(RemoteObject).where(RemoteObject.uri == query))
        if not statuses and obj is None and resolve:
            obj = await _fetch_remote(svc, query)
        if obj is not None and obj.deleted_at is None and obj.is_public:
            async with svc.db.reader() as session:
                statuses.append(await Render(session, svc, caller).remote(obj))
    return json({"accounts": accounts, "statuses": statuses, "hashtags": []})


async def _fetch_remote(svc: Any, uri: str) -> RemoteObject | None:
    """A remote post by its address, fetched through the safe fetcher and kept."""
    from actors.resolver import resolve_actor  # noqa: PLC0415
    from inbox.objects import fetch_object, store_object  # noqa: PLC0415

    try:
        data = await fetch_object(svc, uri)
        author = await resolve_actor(svc, data.attributed_to)
        async with svc.db.transaction() as session:
            return await store_object(session, svc, data, author)
    except (FederationError, ResolveError, ValueError):
        return None


routes = [
    Route("/api/v1/instance", api_view(instance_v1)),
    Route("/api/v2/instance", api_view(instance_v2)),
    Route("/api/v1/accounts/verify_credentials", api_view(verify_credentials)),
    Route("/api/v1/accounts/lookup", api_view(lookup)),
    Route("/api/v1/accounts/relationships", api_view(relationships)),
    Route("/api/v1/accounts/{account_id}", api_view(get_account)),
    Route("/api/v1/accounts/{account_id}/follow", api_view(follow_account), methods=["POST"]),
    Route("/api/v1/accounts/{account_id}/unfollow", api_view(unfollow_account), methods=["POST"]),
    Route("/api/v1/follow_requests", api_view(follow_requests)),
    Route(
        "/api/v1/follow_requests/{account_id}/authorize", api_view(decide_request), methods=["POST"]
    ),
    Route(
        "/api/v1/follow_requests/{account_id}/reject", api_view(decide_request), methods=["POST"]
    ),
    Route("/api/v1/preferences", api_view(preferences)),
    Route("/api/v1/custom_emojis", api_view(custom_emojis)),
    Route("/api/v1/markers", api_view(markers), methods=["GET", "POST"]),
    Route("/api/v2/search", api_view(search)),
]
