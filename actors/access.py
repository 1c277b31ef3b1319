"""Authorized fetch: with it on, ActivityPub GETs must be signed by a server we federate with.

Unsigned requests for an actor still get the minimal actor document (id, inboxes and key), which
is what Mastodon needs to verify our own signed requests and bootstrap.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from actors.domains import DomainBlocked
from actors.models import Actor
from actors.verification import Signer, request_parts, verify_request
from federation.errors import SignatureError
from runtime.responses import error
from runtime.services import services


class FetchRefused(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__("fetch refused")
        self.response = response


def must_sign(request: Request, actor: Actor) -> bool:
    """Signed fetches only: server-wide (authorized fetch), or for an organisation at risk."""
    return services(request).settings.authorized_fetch or actor.safety_profile


def is_signed(request: Request) -> bool:
    return "signature" in request.headers or "signature-input" in request.headers


async def check_fetch(request: Request, *, required: bool | None = None) -> Signer | None:
    """The verified signer of a GET; `FetchRefused` when a signature is required and absent or
    bad, or the signer's server is blocked. `required` defaults to the authorized-fetch setting."""
    svc = services(request)
    must_sign = svc.settings.authorized_fetch if required is None else required
    if not is_signed(request):
        if must_sign:
            raise FetchRefused(
                error(401, "this content is only served to signed fetches (HTTP Signatures)")
            )
        return None
    parts = request_parts(request.scope, b"")
    try:
        return await verify_request(svc, parts)
    except DomainBlocked as exc:
        raise FetchRefused(error(403, str(exc))) from exc
    except SignatureError as exc:
        if must_sign:
            raise FetchRefused(error(401, f"signature not accepted: {exc}")) from exc
        return None
