"""Following from the reader's own server, for people who are not fediverse experts: every
actor page has a Follow button and every post an Interact button; both ask for the reader's
address (`you@example.social`) or server, look up where that server lets its people follow or
answer things (the WebFinger `subscribe` template, else Mastodon's `/authorize_interaction`),
and send the reader there with our actor's or post's address."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.directory import find_by_uri
from actors.domains import DomainBlocked
from actors.resolver import ResolveError, interaction_template
from federation.errors import FederationError
from outbox.models import Post, PostState
from runtime.services import services
from web.forms import AttemptLimiter, anonymous_csrf, anonymous_csrf_ok, remember_csrf, without_nul
from web.pages import pages

MAX_ADDRESS = 300


async def interact_page(request: Request, limiter: AttemptLimiter | None = None) -> Response:
    svc = services(request)
    _ = pages(request).gettext(request)
    uri = request.query_params.get("uri", "")
    form = None
    if request.method == "POST":
        form = without_nul(await request.form())
        uri = str(form.get("uri") or "")
    if not uri or not svc.uris.is_ours(uri):
        return _page(request, None, "", [_("Nothing here to follow: the link is incomplete.")], 400)
    async with svc.db.reader() as session:
        actor = await find_by_uri(session, uri)
        post = None
        if actor is None:
            post = await session.scalar(
                select(Post).where(Post.uri == uri, Post.state == PostState.published)
            )
    if (actor is None or not actor.is_local or actor.deleted_at) and post is None:
        return _page(request, None, "", [_("Nothing here to follow: the link is incomplete.")], 404)
    target: dict[str, object] = {
        "uri": uri,
        "handle": f"@{actor.username}@{svc.settings.host}" if actor is not None else None,
        "name": (actor.display_name or actor.username) if actor is not None else None,
        "is_post": post is not None,
    }
    if form is None:
        return _page(request, target, "", [], 200)
    who = str(form.get("who") or "").strip()
    client = request.client.host if request.client else "?"
    if not anonymous_csrf_ok(request, form.get("csrf")):
        return _page(request, target, who, [_("The form expired. Please send it again.")], 403)
    if not who or len(who) > MAX_ADDRESS:
        return _page(
            request, target, who[:MAX_ADDRESS], [_("Write your address or your server.")], 400
        )
    if limiter is not None and not limiter.allow(client):
        response = _page(
            request, target, who, [_("Too many tries from here. Please wait a minute.")], 429
        )
        response.headers["Retry-After"] = str(max(1, round(limiter.wait(client))))
        return response
    try:
        template = await interaction_template(svc, who)
    except DomainBlocked:
        return _page(request, target, who, [_("This server does not federate with that one.")], 400)
    except (ResolveError, FederationError):
        return _page(
            request,
            target,
            who,
            [_("That address could not be found. Check it, or write only your server's name.")],
            400,
        )
    return RedirectResponse(template.replace("{uri}", quote(uri, safe="")), status_code=303)


def _page(
    request: Request, target: dict[str, object] | None, who: str, errors: list[str], status: int
) -> Response:
    token = anonymous_csrf(request)
    response = pages(request).render(
        request,
        "interact.html",
        {"target": target, "who": who, "errors": errors, "csrf": token},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
    remember_csrf(request, response, token)
    return response


def interact_routes(limiter: AttemptLimiter) -> list[Route]:
    """`limiter` bounds how often one client asks us to look up a server (each is a fetch)."""

    async def interact(request: Request) -> Response:
        return await interact_page(request, limiter)

    return [Route("/interact", interact, methods=["GET", "POST"])]
