"""Desk: events elsewhere that your organisations attend (a conference on Mobilizon, a meeting
on another server): give the event's address, a Join goes to its organiser, and the answer
(accepted, or not) shows here; say you will not come after all (a Leave)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.resolver import ResolveError
from federation.errors import FederationError
from network.attending import attend, attendances, leave
from outbox.compose import PostError
from runtime.services import services
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.desk.publishing import editable_actors
from web.pages import pages


def _(text: str) -> str:
    return text


NOTICES = {
    "joined": _("Sent to the event's organisers: it shows as accepted when they answer."),
    "left": _("They have been told your organisation will not come."),
}


async def attending_view(request: Request, identity: Identity) -> Response:
    actors = await editable_actors(request, identity)
    if not actors:
        raise Forbidden("You are not an editor of any organisation.")
    svc = services(request)
    errors: list[str] = []
    values = {"url": "", "actor": actors[0].username}
    if request.method == "POST":
        form = form_of(request)
        values = {"url": field_text(form, "url"), "actor": field_text(form, "actor")}
        actor = next((a for a in actors if a.username == values["actor"]), None)
        if actor is None:
            raise Forbidden("Choose one of your organisations.")
        try:
            if field_text(form, "action") == "leave":
                await leave(svc, actor.username, values["url"])
                return done("/desk/attending?done=left")
            await attend(svc, actor.username, values["url"])
            return done("/desk/attending?done=joined")
        except (PostError, ResolveError, FederationError) as exc:
            errors = [str(exc)]
    async with svc.db.reader() as session:
        rows = await attendances(session, [a.id for a in actors])
    gettext = pages(request).gettext(request)
    message = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        identity,
        "desk/attending.html",
        {
            "actors": actors,
            "rows": rows,
            "values": values,
            "errors": errors,
            "notice": gettext(message) if message else "",
        },
        status_code=400 if errors else 200,
    )


routes = [Route("/desk/attending", desk_view(attending_view), methods=["GET", "POST"])]
