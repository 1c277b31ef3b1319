"""ActivityPub JSON for what we published: outbox, featured, objects, activities, likes/shares."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from actors.access import FetchRefused, check_fetch, must_sign
from actors.directory import find_local
from actors.models import Actor, ActorKind, Follow, FollowState
from actors.verification import Signer
from core.uris import authority
from federation import collections
from federation.collections import PAGE_SIZE
from federation.vocab import AS_CONTEXT
from outbox.models import Interaction, InteractionKind, OutboxActivity, Post, PostState, Visibility
from outbox.queries import related_of
from outbox.render import render_object, render_tombstone
from outbox.statements import signatories, statement_of
from runtime.responses import ActivityJSONResponse, error
from runtime.services import services


async def outbox_json(request: Request) -> Response:
    try:
        page = collections.parse_page(request.query_params.get("page"))
    except ValueError as exc:
        return error(400, str(exc))
    async with services(request).db.reader() as session:
        actor = await _publisher(session, request.path_params["username"])
        if actor is None or actor.outbox_uri is None:
            return error(404, "no such actor")
        try:
            await check_fetch(request, required=must_sign(request, actor))
        except FetchRefused as refused:
            return refused.response
        listed = (OutboxActivity.actor_id == actor.id, OutboxActivity.is_listed.is_(True))
        total = (
            await session.scalar(select(func.count()).select_from(OutboxActivity).where(*listed))
            or 0
        )
        if page is None:
            return ActivityJSONResponse(collections.collection(actor.outbox_uri, total))
        documents = await session.scalars(
            select(OutboxActivity.document)
            .where(*listed)
            .order_by(OutboxActivity.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        items = [{k: v for k, v in d.items() if k != "@context"} for d in documents]
        return ActivityJSONResponse(
            collections.collection_page(actor.outbox_uri, page, total, items)
        )


async def featured_json(request: Request) -> Response:
    """Pinned posts, inline (Mastodon reads `orderedItems` of the featured collection)."""
    svc = services(request)
    async with svc.db.reader() as session:
        actor = await _publisher(session, request.path_params["username"])
        if actor is None or actor.featured_uri is None:
            return error(404, "no such actor")
        try:
            await check_fetch(request, required=must_sign(request, actor))
        except FetchRefused as refused:
            return refused.response
        pinned = await session.scalars(
            select(Post)
            .where(
                Post.actor_id == actor.id,
                Post.pinned_at.is_not(None),
                Post.state == PostState.published,
            )
            .order_by(Post.pinned_at.desc())
        )
        items = [
            render_object(p, await related_of(session, p), svc.uris, with_context=False)
            for p in pinned
        ]
    return ActivityJSONResponse(
        {
            "@context": AS_CONTEXT,
            "id": actor.featured_uri,
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


async def object_json(request: Request) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.public_id == request.path_params["object_id"])
        )
        if post is None or post.state == PostState.scheduled:
            return error(404, "no such object")
        author = await session.get(Actor, post.actor_id)
        # A public post is public as a page too: under the safety profile its JSON is served
        # unsigned as well (link previews, feeds readers); only the collections that list an
        # organisation's whole output or its contacts need a signature (docs/security.md).
        is_open = post.visibility in (Visibility.public, Visibility.unlisted)
        try:
            signer = await check_fetch(
                request,
                required=author is not None
                and must_sign(request, author)
                and (svc.settings.authorized_fetch or not is_open),
            )
        except FetchRefused as refused:
            return refused.response
        if post.state == PostState.deleted:
            return ActivityJSONResponse(render_tombstone(post), status_code=410)
        if not await may_see(session, post, signer):
            return error(404, "no such object")
        return ActivityJSONResponse(render_object(post, await related_of(session, post), svc.uris))


async def may_see(session: AsyncSession, post: Post, signer: Signer | None) -> bool:
    """Public and unlisted posts: anyone. Followers-only: a signed fetch from a follower, or from
    the server of an accepted follower (servers sign fetches with their instance actor)."""
    if post.visibility != Visibility.followers:
        return True
    if signer is None:
        return False
    followers = await session.scalars(
        select(Actor.uri)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(Follow.followed_id == post.actor_id, Follow.state == FollowState.accepted)
    )
    signer_host = authority(signer.actor_uri)
    return any(uri == signer.actor_uri or authority(uri) == signer_host for uri in followers)


async def interactions_json(request: Request) -> Response:
    """`likes` and `shares` of a post: counts only (who liked what is not ours to publish)."""
    kind = InteractionKind.like if request.url.path.endswith("/likes") else InteractionKind.announce
    async with services(request).db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.public_id == request.path_params["object_id"])
        )
        if (
            post is None
            or post.state != PostState.published
            or post.visibility == Visibility.followers
        ):
            return error(404, "no such object")
        total = (
            await session.scalar(
                select(func.count())
                .select_from(Interaction)
                .where(Interaction.post_id == post.id, Interaction.kind == kind)
            )
            or 0
        )
    suffix = "likes" if kind == InteractionKind.like else "shares"
    return ActivityJSONResponse(
        {
            "@context": AS_CONTEXT,
            "id": f"{post.uri}/{suffix}",
            "type": "Collection",
            "totalItems": total,
        }
    )


async def activity_json(request: Request) -> Response:
    try:
        await check_fetch(request)
    except FetchRefused as refused:
        return refused.response
    svc = services(request)
    async with svc.db.reader() as session:
        document = await session.scalar(
            select(OutboxActivity.document).where(
                OutboxActivity.uri == svc.uris.activity(request.path_params["activity_id"]),
                OutboxActivity.is_listed.is_(True),
            )
        )
    if document is None:
        return error(404, "no such activity")
    return ActivityJSONResponse(document)


async def _publisher(session: AsyncSession, username: str) -> Actor | None:
    actor = await find_local(session, username)
    return actor if actor is not None and actor.kind != ActorKind.instance else None


async def signatories_json(request: Request) -> Response:
    """Who co-signs a statement: organisations that chose to sign in public, in order."""
    async with services(request).db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.public_id == request.path_params["object_id"])
        )
        if (
            post is None
            or post.state != PostState.published
            or post.visibility == Visibility.followers
            or await statement_of(session, post.id) is None
        ):
            return error(404, "no such statement")
        signers = await signatories(session, post.id)
    return ActivityJSONResponse(
        {
            "@context": AS_CONTEXT,
            "id": f"{post.uri}/signatories",
            "type": "OrderedCollection",
            "totalItems": len(signers),
            "orderedItems": [actor.uri for actor in signers],
        }
    )
