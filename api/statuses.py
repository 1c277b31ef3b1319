"""Statuses, media and scheduled statuses. A status posted here is an ordinary post of the
organisation (a note): the same composing, hashtags, mentions, delivery and safety profile
as a post from the desk."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.models import Actor
from api import entities
from api.auth import Caller, api_view, json
from api.errors import ApiError, not_found, present
from api.ids import IdKind, decode, row_number
from api.models import ApiIdempotency, ApiMedia
from api.params import Params, read_params
from inbox.models import RemoteObject
from outbox.compose import Draft, KeptImage, PostError, validate_language
from outbox.kinds import PostKind
from outbox.models import Attachment, Post, PostRevision, PostState, Visibility
from outbox.posts import create_post, delete_post, edit_post, same_organisation, store_image
from outbox.queries import related_of
from runtime.services import Services, services

MAX_CHARACTERS = 5000
MAX_MEDIA = 4
SCHEDULE_AHEAD = timedelta(minutes=5)
IDEMPOTENCY_WINDOW = timedelta(hours=1)


class Render:
    """Builds statuses for one request, computing each author's account once."""

    def __init__(self, session: AsyncSession, svc: Services, caller: Caller) -> None:
        self.session = session
        self.svc = svc
        self.caller = caller
        self.accounts: dict[int, dict[str, Any]] = {}

    async def account(self, actor: Actor) -> dict[str, Any]:
        if actor.id not in self.accounts:
            counts = await entities.account_counts(self.session, actor)
            self.accounts[actor.id] = entities.account(actor, counts)
        return self.accounts[actor.id]

    async def reply_ids(self, uri: str | None) -> tuple[str | None, str | None]:
        if not uri:
            return None, None
        post = await self.session.scalar(select(Post).where(Post.uri == uri))
        if post is not None:
            return entities.post_id(post), str(post.actor_id)
        obj = await self.session.scalar(select(RemoteObject).where(RemoteObject.uri == uri))
        if obj is not None:
            return entities.remote_id(obj), str(obj.actor_id)
        return None, None

    async def post(self, post: Post, *, with_source: bool = False) -> dict[str, Any]:
        related = await related_of(self.session, post)
        status = entities.post_status(
            self.svc,
            post,
            related,
            await self.account(related.author),
            in_reply_to=await self.reply_ids(post.in_reply_to_uri),
            with_source=with_source,
        )
        status["replies_count"] = await _reply_count(self.session, post.uri)
        return status

    async def remote(self, obj: RemoteObject) -> dict[str, Any]:
        author = await self.session.get(Actor, obj.actor_id)
        if author is None:
            raise not_found()
        from api.interactions import acted_on  # noqa: PLC0415 - the two modules use each other

        actor = self.caller.actor
        liked, boosted = await acted_on(self.session, actor, obj.uri) if actor else (False, False)
        status = entities.remote_status(
            self.svc, obj, await self.account(author), favourited=liked, reblogged=boosted
        )
        status["in_reply_to_id"], status["in_reply_to_account_id"] = await self.reply_ids(
            obj.in_reply_to_uri
        )
        return status


async def _reply_count(session: AsyncSession, uri: str) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(RemoteObject)
            .where(RemoteObject.in_reply_to_uri == uri, RemoteObject.deleted_at.is_(None))
        )
        or 0
    )


def may_read_post(caller: Caller, post: Post) -> bool:
    if post.state != PostState.published:
        return caller.actor is not None and caller.actor.id == post.actor_id
    if post.visibility == Visibility.followers:
        return caller.actor is not None and caller.actor.id == post.actor_id
    return True


async def find_status(session: AsyncSession, caller: Caller, status_id: str) -> Post | RemoteObject:
    """A status any caller may read (404 otherwise, as Mastodon answers for hidden ones)."""
    decoded = decode(status_id)
    if decoded is None:
        raise not_found()
    kind, row_id = decoded
    if kind == IdKind.post:
        post = await session.get(Post, row_id)
        if post is None or post.state == PostState.deleted or not may_read_post(caller, post):
            raise not_found()
        if entities.post_id(post) != status_id:
            raise not_found()
        return post
    if kind == IdKind.remote:
        obj = await session.get(RemoteObject, row_id)
        if obj is None or obj.deleted_at is not None or entities.remote_id(obj) != status_id:
            raise not_found()
        if not obj.is_public and caller.actor is None:
            raise not_found()
        return obj
    raise not_found()


async def own_post(session: AsyncSession, actor: Actor, status_id: str) -> Post:
    decoded = decode(status_id)
    post = await session.get(Post, decoded[1]) if decoded and decoded[0] == IdKind.post else None
    if (
        post is None
        or post.state == PostState.deleted
        or entities.post_id(post) != status_id
        or not await same_organisation(session, actor.id, post.actor_id)
    ):
        raise not_found()
    return post


async def _images(
    session: AsyncSession, actor: Actor, media_ids: list[str], post: Post | None = None
) -> tuple[KeptImage, ...]:
    if len(media_ids) > MAX_MEDIA:
        raise ApiError(422, f"Validation failed: a post may carry at most {MAX_MEDIA} images")
    images = []
    for media_id in media_ids:
        if media_id.startswith("p") and row_number(media_id[1:]) and post is not None:
            kept = await session.get(Attachment, row_number(media_id[1:]))
            if kept is None or kept.post_id != post.id:
                raise ApiError(422, f"Validation failed: no media {media_id}")
            images.append(
                KeptImage(kept.file_name, kept.media_type, kept.width, kept.height, kept.alt_text)
            )
            continue
        row = await session.get(ApiMedia, number) if (number := row_number(media_id)) else None
        if (
            row is None
            or row.actor_id != actor.id
            or (row.post_id and row.post_id != (post.id if post else None))
        ):
            raise ApiError(422, f"Validation failed: no media {media_id} to attach")
        images.append(
            KeptImage(row.file_name, row.media_type, row.width, row.height, row.description)
        )
    return tuple(images)


async def _reply_uri(session: AsyncSession, caller: Caller, status_id: str | None) -> str | None:
    if not status_id:
        return None
    try:
        found = await find_status(session, caller, status_id)
    except ApiError as exc:
        raise ApiError(404, "Validation failed: the status replied to was not found") from exc
    return found.uri


def _language(params: Params, actor: Actor, svc: Services) -> str:
    language = (
        params.text("language", max_length=35) or actor.language or svc.settings.default_language
    )
    try:
        return validate_language(language)
    except PostError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from exc


def _scheduled_at(params: Params, now: datetime) -> datetime | None:
    raw = params.text("scheduled_at", max_length=64)
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(422, "Validation failed: scheduled_at must be an ISO 8601 time") from exc
    if when.tzinfo is None:
        raise ApiError(422, "Validation failed: scheduled_at needs a time zone (Z or an offset)")
    if when < now + SCHEDULE_AHEAD:
        raise ApiError(422, "Validation failed: scheduled_at must be at least 5 minutes ahead")
    return when


def _text(params: Params) -> str:
    text = params.text("status", max_length=MAX_CHARACTERS * 4)
    if len(text) > MAX_CHARACTERS:
        raise ApiError(422, f"Validation failed: text is longer than {MAX_CHARACTERS} characters")
    return text


async def post_new_status(request: Request, caller: Caller) -> Response:
    actor = caller.needs("write:statuses")
    svc = services(request)
    params = await read_params(request)
    key = (request.headers.get("idempotency-key") or "")[:200]
    holder = present(caller.holder)
    now = svc.clock.now()
    if key:
        async with svc.db.reader() as session:
            seen = await session.scalar(
                select(ApiIdempotency).where(
                    ApiIdempotency.token_id == holder.token_id, ApiIdempotency.key == key
                )
            )
            if seen is not None and now - seen.created_at < IDEMPOTENCY_WINDOW:
                post = await session.scalar(
                    select(Post).where(Post.public_id == seen.post_public_id)
                )
                if post is not None:
                    return json(await _answer(session, svc, caller, post))
    if params.values.get("poll"):
        raise ApiError(422, "Validation failed: polls are not supported here")
    visibility = params.text("visibility", max_length=20) or "public"
    if visibility == "direct":
        raise ApiError(422, "Validation failed: direct messages are not supported here")
    if visibility not in entities.VISIBILITY_IN:
        raise ApiError(422, "Validation failed: visibility must be public, unlisted or private")
    text = _text(params)
    media_ids = params.items("media_ids")
    if not text.strip() and not media_ids:
        raise ApiError(422, "Validation failed: Text can't be blank")
    async with svc.db.reader() as session:
        images = await _images(session, actor, media_ids)
        reply_to = await _reply_uri(
            session, caller, params.optional("in_reply_to_id", max_length=40)
        )
    draft = Draft(
        kind=PostKind.note,
        body=text,
        language=_language(params, actor, svc),
        summary=params.text("spoiler_text", max_length=2000),
        sensitive=params.flag("sensitive"),
        visibility=entities.VISIBILITY_IN[visibility],
        in_reply_to=reply_to,
        publish_at=_scheduled_at(params, now),
        images=images,
    )
    try:
        post = await create_post(svc, actor, draft)
    except PostError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from exc
    async with svc.db.transaction() as session:
        for media_id in media_ids:
            row = await session.get(ApiMedia, number) if (number := row_number(media_id)) else None
            if row is not None:
                row.post_id = post.id
        if key:
            session.add(
                ApiIdempotency(
                    token_id=holder.token_id, key=key, post_public_id=post.public_id, created_at=now
                )
            )
    async with svc.db.reader() as session:
        fresh = present(await session.get(Post, post.id))
        return json(await _answer(session, svc, caller, fresh))


async def _answer(
    session: AsyncSession, svc: Services, caller: Caller, post: Post
) -> dict[str, Any]:
    if post.state == PostState.scheduled:
        related = await related_of(session, post)
        return entities.scheduled_status(
            svc, post, [entities.attachment(svc, a) for a in related.attachments]
        )
    status = await Render(session, svc, caller).post(post)
    holder = caller.holder
    if holder is not None:
        status["application"] = {"name": holder.app_name, "website": holder.app_website or None}
    return status


async def get_status(request: Request, caller: Caller) -> Response:
    caller.may_read("read:statuses")
    svc = services(request)
    async with svc.db.reader() as session:
        found = await find_status(session, caller, request.path_params["status_id"])
        render = Render(session, svc, caller)
        if isinstance(found, Post):
            if found.state != PostState.published:
                raise not_found()
            return json(await render.post(found))
        return json(await render.remote(found))


async def delete_status(request: Request, caller: Caller) -> Response:
    actor = caller.needs("write:statuses")
    svc = services(request)
    async with svc.db.reader() as session:
        post = await own_post(session, actor, request.path_params["status_id"])
        answer = await Render(session, svc, caller).post(post, with_source=True)
    try:
        await delete_post(svc, post.public_id)
    except PostError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from exc
    return json(answer)


async def edit_status(request: Request, caller: Caller) -> Response:
    actor = caller.needs("write:statuses")
    svc = services(request)
    params = await read_params(request)
    async with svc.db.reader() as session:
        post = await own_post(session, actor, request.path_params["status_id"])
        media_ids = params.items("media_ids")
        images = await _images(session, actor, media_ids, post) if media_ids else ()
    text = _text(params) if "status" in params.values else post.source
    is_note = post.kind == PostKind.note
    draft = Draft(
        kind=PostKind(post.kind),
        body=text,
        language=_language(params, actor, svc) if "language" in params.values else post.language,
        title=post.title,
        summary=params.text("spoiler_text", max_length=2000) if is_note else post.summary,
        sensitive=params.flag("sensitive", post.sensitive),
        visibility=post.visibility,
        details=post.details,
        tags=(),
        in_reply_to=post.in_reply_to_uri,
        images=images,
    )
    try:
        await edit_post(svc, post.public_id, draft)
    except PostError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from exc
    async with svc.db.transaction() as session:
        for media_id in media_ids:
            row = await session.get(ApiMedia, number) if (number := row_number(media_id)) else None
            if row is not None and row.actor_id == actor.id:
                row.post_id = post.id
    async with svc.db.reader() as session:
        fresh = present(await session.get(Post, post.id))
        return json(await _answer(session, svc, caller, fresh))


async def status_history(request: Request, caller: Caller) -> Response:
    caller.may_read("read:statuses")
    svc = services(request)
    async with svc.db.reader() as session:
        found = await find_status(session, caller, request.path_params["status_id"])
        if not isinstance(found, Post):
            raise not_found()
        render = Render(session, svc, caller)
        author = present(await session.get(Actor, found.actor_id))
        account = await render.account(author)
        revisions = list(
            await session.scalars(
                select(PostRevision)
                .where(PostRevision.post_id == found.id)
                .order_by(PostRevision.id)
            )
        )
    history = [entities.revision_edit(svc, r, account, r.valid_from) for r in revisions]
    history.append(
        entities.revision_edit(
            svc, found, account, found.updated_at or found.published_at or found.created_at
        )
    )
    return json(history)


async def status_source(request: Request, caller: Caller) -> Response:
    actor = caller.needs("read:statuses")
    async with services(request).db.reader() as session:
        post = await own_post(session, actor, request.path_params["status_id"])
    return json(
        {
            "id": request.path_params["status_id"],
            "text": post.source,
            "spoiler_text": post.summary if post.sensitive else "",
        }
    )


async def status_context(request: Request, caller: Caller) -> Response:
    caller.may_read("read:statuses")
    svc = services(request)
    async with svc.db.reader() as session:
        found = await find_status(session, caller, request.path_params["status_id"])
        render = Render(session, svc, caller)
        ancestors: list[dict[str, Any]] = []
        parent = found.in_reply_to_uri
        while parent and len(ancestors) < 20:
            above = await _by_uri(session, caller, parent)
            if above is None:
                break
            ancestors.insert(0, await _status(render, above))
            parent = above.in_reply_to_uri
        descendants: list[dict[str, Any]] = []
        level = [found.uri]
        while level and len(descendants) < 60:
            replies = await _replies(session, level)
            visible = [r for r in replies if not isinstance(r, Post) or may_read_post(caller, r)]
            descendants += [await _status(render, r) for r in visible]
            level = [r.uri for r in visible]
    return json({"ancestors": ancestors, "descendants": descendants})


async def _by_uri(session: AsyncSession, caller: Caller, uri: str) -> Post | RemoteObject | None:
    post = await session.scalar(select(Post).where(Post.uri == uri))
    if post is not None:
        return post if post.state == PostState.published and may_read_post(caller, post) else None
    obj = await session.scalar(select(RemoteObject).where(RemoteObject.uri == uri))
    return obj if obj is not None and obj.deleted_at is None and obj.is_public else None


async def _replies(session: AsyncSession, uris: list[str]) -> list[Post | RemoteObject]:
    ours = list(
        await session.scalars(
            select(Post).where(Post.in_reply_to_uri.in_(uris), Post.state == PostState.published)
        )
    )
    theirs = list(
        await session.scalars(
            select(RemoteObject).where(
                RemoteObject.in_reply_to_uri.in_(uris),
                RemoteObject.deleted_at.is_(None),
                RemoteObject.is_public,
            )
        )
    )
    found: list[Post | RemoteObject] = [*ours, *theirs]
    return sorted(
        found, key=lambda r: entities.post_id(r) if isinstance(r, Post) else entities.remote_id(r)
    )


async def _status(render: Render, found: Post | RemoteObject) -> dict[str, Any]:
    return await render.post(found) if isinstance(found, Post) else await render.remote(found)


# -- media --------------------------------------------------------------------------------------


async def upload_media(request: Request, caller: Caller) -> Response:
    actor = caller.needs("write:media")
    svc = services(request)
    params = await read_params(request)
    upload = params.files.get("file")
    if upload is None:
        raise ApiError(422, "Validation failed: file is required (multipart/form-data)")
    data = await upload.read()
    description = params.text("description", max_length=1500)
    try:
        image = store_image(svc, data, description)
    except PostError as exc:
        raise ApiError(422, f"Validation failed: {exc}") from exc
    async with svc.db.transaction() as session:
        row = ApiMedia(
            actor_id=actor.id,
            file_name=image.file_name,
            media_type=image.media_type,
            width=image.width,
            height=image.height,
            size=len(data),
            description=image.alt,
            created_at=svc.clock.now(),
        )
        session.add(row)
        await session.flush()
        return json(entities.attachment(svc, row))


async def _own_media(session: AsyncSession, actor: Actor, media_id: str) -> ApiMedia:
    row = await session.get(ApiMedia, number) if (number := row_number(media_id)) else None
    if row is None or row.actor_id != actor.id:
        raise not_found()
    return row


async def update_media(request: Request, caller: Caller) -> Response:
    actor = caller.needs("write:media")
    svc = services(request)
    params = await read_params(request)
    async with svc.db.transaction() as session:
        row = await _own_media(session, actor, request.path_params["media_id"])
        if "description" in params.values:
            row.description = params.text("description", max_length=1500).strip()
            if row.post_id is not None:  # already attached: the post's image follows
                await session.execute(
                    update(Attachment)
                    .where(Attachment.post_id == row.post_id, Attachment.file_name == row.file_name)
                    .values(alt_text=row.description)
                )
        return json(entities.attachment(svc, row))


async def get_media(request: Request, caller: Caller) -> Response:
    actor = caller.needs("write:media")
    svc = services(request)
    async with svc.db.reader() as session:
        row = await _own_media(session, actor, request.path_params["media_id"])
        return json(entities.attachment(svc, row))


# -- scheduled statuses ------------------------------------------------------------------------


async def scheduled_list(request: Request, caller: Caller) -> Response:
    actor = caller.needs("read:statuses")
    svc = services(request)
    async with svc.db.reader() as session:
        posts = list(
            await session.scalars(
                select(Post)
                .where(Post.actor_id == actor.id, Post.state == PostState.scheduled)
                .order_by(Post.publish_at)
                .limit(40)
            )
        )
        return json([await _answer(session, svc, caller, p) for p in posts])


async def _own_scheduled(session: AsyncSession, actor: Actor, status_id: str) -> Post:
    post = await own_post(session, actor, status_id)
    if post.state != PostState.scheduled:
        raise not_found()
    return post


async def scheduled_one(request: Request, caller: Caller) -> Response:
    svc = services(request)
    if request.method == "GET":
        actor = caller.needs("read:statuses")
        async with svc.db.reader() as session:
            post = await _own_scheduled(session, actor, request.path_params["status_id"])
            return json(await _answer(session, svc, caller, post))
    actor = caller.needs("write:statuses")
    async with svc.db.reader() as session:
        post = await _own_scheduled(session, actor, request.path_params["status_id"])
    if request.method == "DELETE":
        await delete_post(svc, post.public_id)
        return json({})
    params = await read_params(request)
    when = _scheduled_at(params, svc.clock.now())
    if when is None:
        raise ApiError(422, "Validation failed: scheduled_at is required")
    async with svc.db.transaction() as session:
        row = present(await session.get(Post, post.id))
        row.publish_at = when
    async with svc.db.reader() as session:
        fresh = present(await session.get(Post, post.id))
        return json(await _answer(session, svc, caller, fresh))


routes = [
    Route("/api/v1/statuses", api_view(post_new_status), methods=["POST"]),
    Route("/api/v1/statuses/{status_id}", api_view(get_status), methods=["GET"]),
    Route("/api/v1/statuses/{status_id}", api_view(edit_status), methods=["PUT"]),
    Route("/api/v1/statuses/{status_id}", api_view(delete_status), methods=["DELETE"]),
    Route("/api/v1/statuses/{status_id}/history", api_view(status_history)),
    Route("/api/v1/statuses/{status_id}/source", api_view(status_source)),
    Route("/api/v1/statuses/{status_id}/context", api_view(status_context)),
    Route("/api/v2/media", api_view(upload_media), methods=["POST"]),
    Route("/api/v1/media", api_view(upload_media), methods=["POST"]),
    Route("/api/v1/media/{media_id}", api_view(get_media), methods=["GET"]),
    Route("/api/v1/media/{media_id}", api_view(update_media), methods=["PUT"]),
    Route("/api/v1/scheduled_statuses", api_view(scheduled_list)),
    Route(
        "/api/v1/scheduled_statuses/{status_id}",
        api_view(scheduled_one),
        methods=["GET", "PUT", "DELETE"],
    ),
]
