"""POST to a personal or the shared inbox: the order of checks is the security design.

1. size (before reading: Content-Length; while reading: the cap; and a deadline for the body);
2. media type; JSON that is an object and not nested too deep; the activity envelope;
3. signature: parsed, strong enough, in its time window, host ours, digest matching;
4. domain policy on the key's server (before any fetch);
5. the key (cached or fetched) verifies; its owner is the actor;
6. origin rules; 7. stored (duplicates are a no-op) and committed; 8. 202.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from actors.directory import find_by_uri, find_local
from actors.domains import DomainBlocked, rules
from actors.health import mark_seen
from actors.models import ActorKind
from actors.verification import request_parts, verify_request
from core.uris import authority
from federation.documents import parse_activity
from federation.errors import InvalidDocument, SignatureError
from federation.jsonparse import parse_json_object
from federation.vocab import get_id
from inbox.backlog import RETRY_AFTER_SECONDS
from inbox.intake import Arrival, InboxIntake
from inbox.origin import OriginError, check_origin, involved_domains
from runtime.responses import SECURITY_HEADERS, error
from runtime.services import Services, services
from storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)
BODY_DEADLINE_SECONDS = 10.0
RELAYED_TYPES = frozenset({"Create", "Announce"})  # what a Mastodon-style relay forwards as is
ACCEPTED_MEDIA_TYPES = frozenset(
    {"application/activity+json", "application/ld+json", "application/json"}
)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


RelayCheck = Callable[[Services, str], Awaitable[bool]]


async def no_relays(svc: Services, actor_uri: str) -> bool:
    return False


def inbox_routes(intake: InboxIntake, is_relay: RelayCheck = no_relays) -> list[Route]:
    """`is_relay(svc, signer)`: may this signer forward others' activities to us (a relay we
    subscribed to)? Such activities are stored marked as relayed, and only ids are trusted."""

    async def shared_inbox(request: Request) -> Response:
        return await receive(request, intake, recipient=None, is_relay=is_relay)

    async def personal_inbox(request: Request) -> Response:
        return await receive(
            request, intake, recipient=request.path_params["username"], is_relay=is_relay
        )

    return [
        Route("/inbox", shared_inbox, methods=["POST"]),
        Route("/actor/inbox", shared_inbox, methods=["POST"]),  # the instance actor's
        Route("/actors/{username}/inbox", personal_inbox, methods=["POST"]),
    ]


_SECURITY_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class DirectInboxes:
    """ASGI middleware, first of the site's: a POST to an inbox goes straight to `receive`.

    Nothing the site's other middleware does applies to an inbox's 202 or JSON error
    (language prefixes, the page cache, compression, headers for HTML pages), and at the rate
    activities arrive, passing through those layers and the router took more than a quarter
    of each one's CPU. The security headers every response carries are added here. Any other
    request goes on to the site, and so does an inbox's address with a NUL in it (refused
    there); the routes of `inbox_routes` stay for other methods (405) and language prefixes.
    """

    def __init__(self, app: ASGIApp, intake: InboxIntake, is_relay: RelayCheck = no_relays) -> None:
        self.app = app
        self.intake = intake
        self.is_relay = is_relay

    async def __call__(self, scope: Scope, receive_: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            is_inbox, recipient = inbox_recipient(scope["path"])
            if is_inbox:
                request = Request(scope, receive_)
                response = await receive(
                    request, self.intake, recipient=recipient, is_relay=self.is_relay
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status_code,
                        "headers": [*response.raw_headers, *_SECURITY_HEADERS],
                    }
                )
                await send({"type": "http.response.body", "body": response.body})
                return
        await self.app(scope, receive_, send)


def inbox_recipient(path: str) -> tuple[bool, str | None]:
    """(is this an inbox's path, whose): the shared inbox and the instance actor's are no
    one's; `/actors/{username}/inbox` is that actor's."""
    if path in ("/inbox", "/actor/inbox"):
        return True, None
    if path.startswith("/actors/") and path.endswith("/inbox") and "\x00" not in path:
        username = path[len("/actors/") : -len("/inbox")]
        if username and "/" not in username:
            return True, username
    return False, None


async def receive(
    request: Request,
    intake: InboxIntake,
    *,
    recipient: str | None,
    is_relay: RelayCheck = no_relays,
) -> Response:
    svc = services(request)
    if await intake.backlog.is_full(svc):  # before any work: the sender retries later
        return error(
            503,
            "the inbox is catching up with what it accepted; try again later",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    try:
        arrival = await _check(request, svc, recipient, is_relay)
        if arrival is None:
            return Response(status_code=202)
        await intake.store(arrival)
    except _Refused as exc:
        log.info("inbox refused an activity (%s): %s", exc.status, exc)  # never an address
        return error(exc.status, str(exc))
    except (DatabaseUnavailable, SQLAlchemyError, OSError):
        # Never a 202 without a commit: the sender keeps the activity and retries.
        return error(503, "temporarily unable to accept activities", {"Retry-After": "30"})
    await mark_seen(svc, authority(arrival.actor_uri))
    return Response(status_code=202)


async def _check(
    request: Request, svc: Services, recipient: str | None, is_relay: RelayCheck
) -> Arrival | None:
    if recipient is not None:
        async with svc.db.reader() as session:
            target = await find_local(session, recipient)
        if target is None or target.kind == ActorKind.instance:
            raise _Refused(404, "no such inbox")
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type and media_type not in ACCEPTED_MEDIA_TYPES:
        raise _Refused(415, f"expected application/activity+json, got {media_type}")
    body = await _read_body(request, svc.settings.max_inbox_bytes)
    try:
        document = parse_json_object(body)
        activity = parse_activity(document)
    except InvalidDocument as exc:
        raise _Refused(400, str(exc)) from exc
    parts = request_parts(request.scope, body)
    if await _is_unknown_actor_deleting_itself(svc, activity.type, activity.actor_uri, document):
        return None  # Mastodon's rule: nothing to do, and nothing worth a fetch
    try:
        signer = await verify_request(svc, parts)
    except SignatureError as exc:
        raise _Refused(401, f"signature not accepted: {exc}") from exc
    except DomainBlocked as exc:
        raise _Refused(403, str(exc)) from exc
    is_relayed = (
        signer.actor_uri != activity.actor_uri
        and activity.type in RELAYED_TYPES
        and await is_relay(svc, signer.actor_uri)
    )
    relayed_by = signer.actor_uri if is_relayed else None
    policy = await rules(svc)
    for domain in sorted(involved_domains(activity, signer.key_id, relayed_by)):
        if policy.is_refused(domain):
            raise _Refused(403, f"{domain} is not allowed to federate with this server")
    try:
        # A relay vouches only for ids: the rest of the origin rules still apply, and the
        # handlers fetch the object from its origin instead of reading the relayed body.
        check_origin(
            activity,
            signer_uri=activity.actor_uri if is_relayed else signer.actor_uri,
            our_host=svc.settings.host,
        )
    except OriginError as exc:
        status = 401 if signer.actor_uri != activity.actor_uri else 403
        raise _Refused(status, str(exc)) from exc
    return Arrival(
        activity_uri=activity.uri,
        type=activity.type,
        actor_uri=activity.actor_uri,
        key_id=signer.key_id,
        recipient=recipient,
        document=document,
        relayed_by=relayed_by,
    )


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise _Refused(400, "malformed Content-Length")
        if int(declared) > limit:
            raise _Refused(413, f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_DEADLINE_SECONDS):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _Refused(413, f"the body is larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError as exc:
        raise _Refused(408, "the body took too long to arrive") from exc
    except ClientDisconnect as exc:
        raise _Refused(400, "the client went away") from exc
    return b"".join(chunks)


async def _is_unknown_actor_deleting_itself(
    svc: Services, activity_type: str, actor_uri: str, document: dict[str, object]
) -> bool:
    if activity_type != "Delete" or get_id(document.get("object")) != actor_uri:
        return False
    async with svc.db.reader() as session:
        known = await find_by_uri(session, actor_uri)
    return known is None
