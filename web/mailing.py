"""Bulletins by email, for readers: the subscription form (double opt-in), the confirmation
link, and unsubscribing (a page with a button, and RFC 8058's one-click POST that mail
programs send). The answer to a subscription never says whether the address was known."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from actors.directory import find_local
from actors.models import Actor, ActorKind
from content.i18n import INTERFACE_LANGUAGES
from mail.subscriptions import SubscriptionError, confirm, subscribe, unsubscribe
from runtime.services import services
from web.forms import (
    AttemptLimiter,
    anonymous_csrf,
    anonymous_csrf_ok,
    remember_csrf,
    without_nul,
)
from web.pages import not_found, pages


async def _publisher(request: Request) -> Actor | None:
    async with services(request).db.reader() as session:
        actor = await find_local(session, request.path_params["username"])
    if actor is None or actor.kind not in (ActorKind.organization, ActorKind.network):
        return None
    return actor


async def subscribe_page(request: Request, limiter: AttemptLimiter) -> Response:
    actor = await _publisher(request)
    if actor is None:
        return not_found(request)
    _ = pages(request).gettext(request)
    token = anonymous_csrf(request)
    reader_language = pages(request).language_of(request)
    errors: list[str] = []
    chosen = [reader_language]
    email = ""
    done = False
    status = 200
    if request.method == "POST":
        form = without_nul(await request.form())
        email = str(form.get("email") or "")[:300]
        chosen = [str(v) for v in form.getlist("languages")][:10]
        client = request.client.host if request.client else "?"
        if not anonymous_csrf_ok(request, form.get("csrf")):
            errors.append(_("The form expired. Please send it again."))
        elif not limiter.allow(client):
            return pages(request).render(
                request,
                "error.html",
                {
                    "title": _("Too many requests"),
                    "message": _("Please wait a few minutes and send it again."),
                },
                status_code=429,
                headers={"Retry-After": str(max(1, round(limiter.wait(client))))},
            )
        else:
            try:
                await subscribe(services(request), actor, email, chosen)
                done = True
            except SubscriptionError as exc:
                errors.append(_(str(exc)))
        status = 400 if errors else 200
    response = pages(request).render(
        request,
        "subscribe.html",
        {
            "actor": actor,
            "csrf": token,
            "errors": errors,
            "email": email,
            "chosen": chosen,
            "languages": INTERFACE_LANGUAGES,
            "done": done,
        },
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
    remember_csrf(request, response, token)
    return response


async def confirm_page(request: Request) -> Response:
    svc = services(request)
    _ = pages(request).gettext(request)
    subscriber = await confirm(svc, request.path_params["token"])
    if subscriber is None:
        return not_found(request, "This link is not valid any more.")
    async with svc.db.reader() as session:
        actor = await session.get(Actor, subscriber.actor_id)
    return pages(request).render(
        request,
        "mail_done.html",
        {
            "title": _("Subscribed"),
            "message": _("You will receive the bulletins of %(name)s by email, in: %(languages)s.")
            % {
                "name": actor.display_name if actor else "",
                "languages": ", ".join(subscriber.languages),
            },
            "unsubscribe": "",
        },
        headers={"Cache-Control": "no-store"},
    )


async def unsubscribe_page(request: Request) -> Response:
    """GET shows a button (link checkers fetch links; they must not unsubscribe anyone); POST
    unsubscribes, from that button or from a mail program's one-click (RFC 8058)."""
    svc = services(request)
    _ = pages(request).gettext(request)
    value = request.path_params["token"]
    if request.method == "GET":
        return pages(request).render(
            request,
            "mail_done.html",
            {
                "title": _("Unsubscribe"),
                "message": _("Stop receiving these bulletins by email?"),
                "unsubscribe": value,
            },
            headers={"Cache-Control": "no-store"},
        )
    await request.body()  # "List-Unsubscribe=One-Click", or our own button's empty form
    gone = await unsubscribe(svc, value)
    if "text/html" not in request.headers.get("accept", ""):
        return PlainTextResponse(
            "unsubscribed\n" if gone else "not subscribed\n", status_code=200 if gone else 404
        )
    return pages(request).render(
        request,
        "mail_done.html",
        {
            "title": _("Unsubscribed"),
            "message": _("Your address has been deleted. You will receive nothing more.")
            if gone
            else _("This link is not valid any more."),
            "unsubscribe": "",
        },
        status_code=200 if gone else 404,
        headers={"Cache-Control": "no-store"},
    )


def mailing_routes(limiter: AttemptLimiter) -> list[Route]:
    async def subscribe_view(request: Request) -> Response:
        return await subscribe_page(request, limiter)

    return [
        Route("/subscribe/{username}", subscribe_view, methods=["GET", "POST"]),
        Route("/mail/confirm/{token}", confirm_page),
        Route("/mail/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"]),
    ]
