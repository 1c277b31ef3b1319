"""What editors read: the home timeline (the organisation's posts and those of whom it
follows), the public and hashtag timelines, an account's statuses, and notifications
(follows, follow requests, replies as mentions, favourites and boosts of its posts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.models import Actor, Follow, FollowState
from api import entities
from api.auth import Caller, api_view, json
from api.errors import ApiError, not_found
from api.ids import IdKind, encode, row_number
from api.paging import Source, Window, link_header, page
from api.params import Params, read_params
from api.statuses import Render
from content.hashtags import normalise_tag
from inbox.models import RemoteObject
from outbox.models import Interaction, InteractionKind, Post, PostState, PostTag, Visibility
from runtime.services import services


def windowed(query: Select[Any], column: Any, window: Window) -> Select[Any]:
    if window.after is not None:
        query = query.where(column >= window.after)
    if window.before is not None:
        query = query.where(column <= window.before)
    order = column.asc() if window.ascending else column.desc()
    return query.order_by(order).limit(window.count)


def local_posts(session: AsyncSession, *conditions: Any) -> Source:
    async def source(window: Window) -> list[tuple[str, Any]]:
        query = select(Post).where(Post.state == PostState.published, *conditions)
        rows = await session.scalars(windowed(query, Post.created_at, window))
        return [(entities.post_id(p), p) for p in rows]

    return source


def remote_posts(session: AsyncSession, *conditions: Any) -> Source:
    async def source(window: Window) -> list[tuple[str, Any]]:
        query = select(RemoteObject).where(
            RemoteObject.deleted_at.is_(None), RemoteObject.published.is_not(None), *conditions
        )
        rows = await session.scalars(windowed(query, RemoteObject.published, window))
        return [(entities.remote_id(o), o) for o in rows]

    return source


async def _statuses(
    request: Request, caller: Caller, params: Params, sources: Sequence[Source], render: Render
) -> Response:
    chosen = await page(params, sources)
    statuses = [
        await (render.post(item) if isinstance(item, Post) else render.remote(item))
        for _id, item in chosen
    ]
    return json(statuses, headers=link_header(request, chosen))


async def home(request: Request, caller: Caller) -> Response:
    actor = caller.needs("read:statuses")
    params = await read_params(request)
    svc = services(request)
    async with svc.db.reader() as session:
        followed = select(Follow.followed_id).where(
            Follow.follower_id == actor.id, Follow.state == FollowState.accepted
        )
        sources = [
            local_posts(session, Post.actor_id == actor.id),
            local_posts(
                session, Post.actor_id.in_(followed), Post.visibility != Visibility.followers
            ),
            remote_posts(session, RemoteObject.actor_id.in_(followed)),
        ]
        return await _statuses(request, caller, params, sources, Render(session, svc, caller))


async def public(request: Request, caller: Caller) -> Response:
    caller.may_read("read:statuses")
    params = await read_params(request)
    svc = services(request)
    async with svc.db.reader() as session:
        sources = []
        if not params.flag("remote"):
            sources.append(local_posts(session, Post.visibility == Visibility.public))
        if not params.flag("local"):
            sources.append(remote_posts(session, RemoteObject.is_public))
        return await _statuses(request, caller, params, sources, Render(session, svc, caller))


async def hashtag(request: Request, caller: Caller) -> Response:
    caller.may_read("read:statuses")
    params = await read_params(request)
    key = normalise_tag(request.path_params["tag"])
    if not key or len(key) > 200:
        raise not_found()
    svc = services(request)
    async with svc.db.reader() as session:
        tagged = select(PostTag.post_id).where(PostTag.tag == key)
        sources = [local_posts(session, Post.id.in_(tagged), Post.visibility == Visibility.public)]
        if not params.flag("local"):
            needle = f'%"key": "{key}"%'
            sources.append(
                remote_posts(
                    session,
                    RemoteObject.is_public,
                    cast(RemoteObject.tags, String).like(needle)
                    | cast(RemoteObject.tags, String).like(needle.replace('": "', '":"')),
                )
            )
        return await _statuses(request, caller, params, sources, Render(session, svc, caller))


async def account_statuses(request: Request, caller: Caller) -> Response:
    caller.may_read("read:statuses")
    params = await read_params(request)
    raw = request.path_params["account_id"]
    svc = services(request)
    async with svc.db.reader() as session:
        actor = await session.get(Actor, number) if (number := row_number(raw)) else None
        if actor is None or actor.deleted_at is not None:
            raise not_found()
        own = caller.actor is not None and caller.actor.id == actor.id
        conditions: list[Any] = [Post.actor_id == actor.id]
        if not own:
            conditions.append(Post.visibility == Visibility.public)
        if params.flag("pinned"):
            conditions.append(Post.pinned_at.is_not(None))
        if params.flag("exclude_replies"):
            conditions.append(Post.in_reply_to_uri.is_(None))
        sources = (
            [local_posts(session, *conditions)]
            if actor.is_local
            else [remote_posts(session, RemoteObject.actor_id == actor.id, RemoteObject.is_public)]
        )
        if params.flag("only_media"):
            sources = []
        return await _statuses(request, caller, params, sources, Render(session, svc, caller))


# -- notifications -----------------------------------------------------------------------------

TYPES = ("follow", "follow_request", "mention", "favourite", "reblog")


def _wanted(params: Params) -> set[str]:
    types = set(params.items("types", max_items=20)) or set(TYPES)
    return types - set(params.items("exclude_types", max_items=20))


async def notifications(request: Request, caller: Caller) -> Response:
    actor = caller.needs("read:notifications")
    params = await read_params(request)
    wanted = _wanted(params)
    svc = services(request)
    async with svc.db.reader() as session:
        render = Render(session, svc, caller)
        sources = []
        if wanted & {"follow", "follow_request"}:
            sources.append(_follows(session, actor, wanted))
        if wanted & {"favourite", "reblog"}:
            sources.append(_interactions(session, actor, wanted))
        if "mention" in wanted:
            sources.append(_replies(session, actor))
        chosen = await page(params, sources, default=15)
        answer = [await _notification(session, render, nid, item) for nid, item in chosen]
    return json(answer, headers=link_header(request, chosen))


def _follows(session: AsyncSession, actor: Actor, wanted: set[str]) -> Source:
    states = []
    if "follow" in wanted:
        states.append(FollowState.accepted)
    if "follow_request" in wanted:
        states.append(FollowState.pending)

    async def source(window: Window) -> list[tuple[str, Any]]:
        query = select(Follow).where(Follow.followed_id == actor.id, Follow.state.in_(states))
        rows = await session.scalars(windowed(query, Follow.created_at, window))
        return [(encode(IdKind.follow, f.created_at, f.id), f) for f in rows]

    return source


def _interactions(session: AsyncSession, actor: Actor, wanted: set[str]) -> Source:
    kinds = [
        k
        for k, name in ((InteractionKind.like, "favourite"), (InteractionKind.announce, "reblog"))
        if name in wanted
    ]

    async def source(window: Window) -> list[tuple[str, Any]]:
        ours = select(Post.id).where(Post.actor_id == actor.id)
        query = select(Interaction).where(
            Interaction.post_id.in_(ours), Interaction.kind.in_(kinds)
        )
        rows = await session.scalars(windowed(query, Interaction.created_at, window))
        return [(encode(IdKind.interaction, i.created_at, i.id), i) for i in rows]

    return source


def _replies(session: AsyncSession, actor: Actor) -> Source:
    async def source(window: Window) -> list[tuple[str, Any]]:
        ours = select(Post.uri).where(Post.actor_id == actor.id)
        query = select(RemoteObject).where(
            RemoteObject.in_reply_to_uri.in_(ours), RemoteObject.deleted_at.is_(None)
        )
        rows = await session.scalars(windowed(query, RemoteObject.received_at, window))
        return [(encode(IdKind.reply, o.received_at, o.id), o) for o in rows]

    return source


async def _notification(
    session: AsyncSession, render: Render, notification_id: str, item: Any
) -> dict[str, Any]:
    status = None
    if isinstance(item, Follow):
        kind = "follow" if item.state == FollowState.accepted else "follow_request"
        who = await session.get(Actor, item.follower_id)
        created = item.created_at
    elif isinstance(item, Interaction):
        kind = "favourite" if item.kind == InteractionKind.like else "reblog"
        who = await session.get(Actor, item.actor_id)
        post = await session.get(Post, item.post_id)
        status = await render.post(post) if post is not None else None
        created = item.created_at
    else:
        kind = "mention"
        who = await session.get(Actor, item.actor_id)
        status = await render.remote(item)
        created = item.received_at
    if who is None:
        raise ApiError(404, "Record not found")
    return {
        "id": notification_id,
        "type": kind,
        "created_at": entities.iso(created),
        "account": await render.account(who),
        "status": status,
        "group_key": f"ungrouped-{notification_id}",
    }


async def notification_one(request: Request, caller: Caller) -> Response:
    actor = caller.needs("read:notifications")
    svc = services(request)
    wanted_id = request.path_params["notification_id"]
    async with svc.db.reader() as session:
        render = Render(session, svc, caller)
        sources = [
            _follows(session, actor, {"follow", "follow_request"}),
            _interactions(session, actor, {"favourite", "reblog"}),
            _replies(session, actor),
        ]
        from api.ids import moment  # noqa: PLC0415

        when = moment(wanted_id)
        if when is None:
            raise not_found()
        window = Window(after=when, before=when, ascending=False, count=50)
        for source in sources:
            for found_id, item in await source(window):
                if found_id == wanted_id:
                    return json(await _notification(session, render, found_id, item))
    raise not_found()


routes = [
    Route("/api/v1/timelines/home", api_view(home)),
    Route("/api/v1/timelines/public", api_view(public)),
    Route("/api/v1/timelines/tag/{tag}", api_view(hashtag)),
    Route("/api/v1/accounts/{account_id}/statuses", api_view(account_statuses)),
    Route("/api/v1/notifications", api_view(notifications)),
    Route("/api/v1/notifications/{notification_id}", api_view(notification_one)),
]
