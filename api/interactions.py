"""Favourite and boost a remote post as the organisation (and take it back): a Like to its
author, an Announce to the organisation's followers and the author; Undo for each. What was
sent is the record: an activity not yet undone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.models import Actor, delivery_inbox
from api.auth import Caller, api_view, json
from api.errors import ApiError, present
from api.statuses import Render, find_status
from federation.vocab import PUBLIC
from inbox.models import RemoteObject
from outbox.enqueue import enqueue, new_activity_uri
from outbox.follows import follower_inboxes
from outbox.models import OutboxActivity, Post
from runtime.services import services


async def _standing(
    session: AsyncSession, actor: Actor, kind: str, uri: str
) -> OutboxActivity | None:
    """The organisation's Like or Announce of `uri` that it has not undone, if any."""
    sent = list(
        await session.scalars(
            select(OutboxActivity).where(
                OutboxActivity.actor_id == actor.id,
                OutboxActivity.type == kind,
                OutboxActivity.object_uri == uri,
            )
        )
    )
    if not sent:
        return None
    undone = set(
        await session.scalars(
            select(OutboxActivity.object_uri).where(
                OutboxActivity.actor_id == actor.id,
                OutboxActivity.type == "Undo",
                OutboxActivity.object_uri.in_([a.uri for a in sent]),
            )
        )
    )
    return next((a for a in reversed(sent) if a.uri not in undone), None)


async def acted_on(session: AsyncSession, actor: Actor, uri: str) -> tuple[bool, bool]:
    liked = await _standing(session, actor, "Like", uri) is not None
    boosted = await _standing(session, actor, "Announce", uri) is not None
    return liked, boosted


async def _act(request: Request, caller: Caller, kind: str, *, undo: bool) -> Response:
    actor = caller.needs("write:favourites" if kind == "Like" else "write:statuses")
    svc = services(request)
    async with svc.db.transaction() as session:
        found = await find_status(session, caller, request.path_params["status_id"])
        if isinstance(found, Post):
            raise ApiError(
                422,
                "Validation failed: favourites and boosts are for posts from elsewhere; "
                "the network boosts its members' posts itself",
            )
        author = await session.get(Actor, found.actor_id)
        if author is None:
            raise ApiError(404, "Record not found")
        inboxes = [delivery_inbox(author.shared_inbox_uri, author.inbox_uri) or ""]
        if kind == "Announce":
            if not found.is_public:
                raise ApiError(422, "Validation failed: only public posts can be boosted")
            inboxes += await follower_inboxes(session, actor)
        standing = await _standing(session, actor, kind, found.uri)
        if undo and standing is not None:
            document = {
                "id": new_activity_uri(svc.uris),
                "type": "Undo",
                "actor": actor.uri,
                "to": standing.document.get("to", []),
                "object": {k: v for k, v in standing.document.items() if k != "@context"},
            }
            await enqueue(session, svc, actor, document, inboxes, about=standing.uri)
        elif not undo and standing is None:
            document = {
                "id": new_activity_uri(svc.uris),
                "type": kind,
                "actor": actor.uri,
                "object": found.uri,
            }
            if kind == "Announce":
                document.update({"to": [PUBLIC], "cc": [actor.followers_uri, author.uri]})
            await enqueue(session, svc, actor, document, inboxes, about=found.uri)
    async with svc.db.reader() as session:
        obj = present(await session.get(RemoteObject, found.id))
        return json(await Render(session, svc, caller).remote(obj))


async def favourite(request: Request, caller: Caller) -> Response:
    return await _act(request, caller, "Like", undo=False)


async def unfavourite(request: Request, caller: Caller) -> Response:
    return await _act(request, caller, "Like", undo=True)


async def reblog(request: Request, caller: Caller) -> Response:
    return await _act(request, caller, "Announce", undo=False)


async def unreblog(request: Request, caller: Caller) -> Response:
    return await _act(request, caller, "Announce", undo=True)


routes = [
    Route("/api/v1/statuses/{status_id}/favourite", api_view(favourite), methods=["POST"]),
    Route("/api/v1/statuses/{status_id}/unfavourite", api_view(unfavourite), methods=["POST"]),
    Route("/api/v1/statuses/{status_id}/reblog", api_view(reblog), methods=["POST"]),
    Route("/api/v1/statuses/{status_id}/unreblog", api_view(unreblog), methods=["POST"]),
]
