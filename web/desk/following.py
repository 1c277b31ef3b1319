"""Desk: follow an account found elsewhere, as one of the organisations the editor speaks for.
Other servers send their people here (`/authorize_interaction?uri=`, the `subscribe` template
of our WebFinger) after they pressed Follow on a profile or a post; a post's author is offered."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.domains import DomainBlocked
from actors.models import Actor
from actors.resolver import ResolveError, resolve_actor, resolve_handle
from federation.documents import is_http_uri
from federation.errors import FederationError
from inbox.objects import fetch_object
from outbox.follows import FollowError, follow
from runtime.services import services
from web.desk.common import Forbidden, desk_view, field_text, form_of, render
from web.desk.publishing import editable_actors


async def _target(request: Request, uri: str) -> Actor:
    """The account behind `uri`: an actor (URL or handle), or the author of a post."""
    svc = services(request)
    if not is_http_uri(uri):
        return await resolve_handle(svc, uri)
    try:
        return await resolve_actor(svc, uri)
    except ResolveError:
        post = await fetch_object(svc, uri)  # not an actor: perhaps a post
        return await resolve_actor(svc, post.attributed_to)


async def authorize_view(request: Request, identity: Identity) -> Response:
    actors = await editable_actors(request, identity)
    if not actors:
        raise Forbidden("You are not an editor of any organisation on this server.")
    posted = request.method == "POST"
    uri = field_text(form_of(request), "uri") if posted else request.query_params.get("uri", "")
    context: dict[str, object] = {
        "uri": uri, "actors": actors, "target": None, "followed": None, "error": None,
        "problem": None,
    }  # fmt: skip

    def page(status: int = 200, **more: object) -> Response:
        return render(
            request, identity, "desk/authorize.html", {**context, **more}, status_code=status
        )

    if not uri:
        return page(400, error="none")
    try:
        target = await _target(request, uri.strip())
    except DomainBlocked:
        return page(400, error="blocked")
    except (ResolveError, FederationError):
        return page(400, error="lookup")
    context["target"] = target
    if not posted:
        return page()
    chosen = field_text(form_of(request), "as")
    as_actor = next((a for a in actors if str(a.id) == chosen), None)
    if as_actor is None:
        raise Forbidden("You do not speak for that organisation.")
    try:
        row = await follow(services(request), as_actor, target)
    except FollowError as exc:
        return page(400, problem=str(exc))
    return page(followed=(as_actor, row.state))


async def authorize_interaction(request: Request) -> Response:
    """Mastodon's path, which other servers send people to: the desk's page (the desk's
    session cookie is only ever sent under /desk)."""
    query = f"?uri={quote(request.query_params.get('uri', ''), safe='')}"
    return RedirectResponse(f"/desk/authorize_interaction{query}", status_code=303)


routes = [
    Route("/authorize_interaction", authorize_interaction),
    Route("/desk/authorize_interaction", desk_view(authorize_view), methods=["GET", "POST"]),
]
