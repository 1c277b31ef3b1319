"""ActivityPub JSON for our actors and their social-graph collections."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from actors.access import FetchRefused, check_fetch, must_sign
from actors.directory import find_local
from actors.models import Actor, ActorKind, Follow, FollowState
from actors.render import render_actor
from federation import collections
from federation.collections import PAGE_SIZE
from runtime.responses import ActivityJSONResponse, error
from runtime.services import services


async def actor_json(request: Request) -> Response:
    async with services(request).db.reader() as session:
        actor = await _visible_actor(session, request.path_params["username"])
        if actor is None:
            return error(404, "no such actor")
    try:
        signer = await check_fetch(request, required=False)
    except FetchRefused as refused:
        return refused.response
    minimal = signer is None and services(request).settings.authorized_fetch
    return ActivityJSONResponse(render_actor(actor, minimal=minimal))


async def instance_actor_json(request: Request) -> Response:
    """Always public: peers must be able to verify our instance's signed fetches."""
    async with services(request).db.reader() as session:
        actor = await session.scalar(select(Actor).where(Actor.kind == ActorKind.instance))
    if actor is None:
        return error(404, "no instance actor yet")
    return ActivityJSONResponse(render_actor(actor))


async def instance_collection_json(request: Request) -> Response:
    """The instance actor's outbox, followers, following and featured: it publishes nothing and
    follows no one, but a peer that reads what its document advertises gets an answer."""
    uri = services(request).uris.instance_actor() + "/" + request.url.path.rsplit("/", 1)[-1]
    return ActivityJSONResponse(
        {**collections.collection(uri, 0, show_pages=False), "orderedItems": []}
    )


async def followers_json(request: Request) -> Response:
    return await _graph_collection(request, followers=True)


async def following_json(request: Request) -> Response:
    return await _graph_collection(request, followers=False)


async def _graph_collection(request: Request, *, followers: bool) -> Response:
    try:
        page = collections.parse_page(request.query_params.get("page"))
    except ValueError as exc:
        return error(400, str(exc))
    async with services(request).db.reader() as session:
        actor = await _visible_actor(session, request.path_params["username"])
        if actor is None:
            return error(404, "no such actor")
        try:
            await check_fetch(request, required=must_sign(request, actor))
        except FetchRefused as refused:
            return refused.response
        uri = actor.followers_uri if followers else actor.following_uri
        if uri is None:
            return error(404, "no such collection")
        mine = Follow.followed_id if followers else Follow.follower_id
        theirs = Follow.follower_id if followers else Follow.followed_id
        condition = (mine == actor.id, Follow.state == FollowState.accepted)
        total = (
            await session.scalar(select(func.count()).select_from(Follow).where(*condition)) or 0
        )
        if page is None or actor.hides_collections:
            return ActivityJSONResponse(
                collections.collection(uri, total, show_pages=not actor.hides_collections)
            )
        rows = await session.scalars(
            select(Actor.uri)
            .join(Follow, theirs == Actor.id)
            .where(*condition)
            .order_by(Follow.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        return ActivityJSONResponse(collections.collection_page(uri, page, total, list(rows)))


async def _visible_actor(session: AsyncSession, username: str) -> Actor | None:
    actor = await find_local(session, username)
    if actor is None or actor.kind == ActorKind.instance:
        return None
    return actor
