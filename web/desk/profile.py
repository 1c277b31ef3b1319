"""Desk: an organisation's (or the network's) public profile, its name and description in its
own language and in each interface language; saving sends one Update to followers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.directory import find_local
from actors.models import Actor, ActorKind
from actors.resolver import ResolveError
from content.html import html_to_text
from content.i18n import INTERFACE_LANGUAGES
from federation.errors import FederationError
from outbox.compose import PostError
from outbox.moves import move_actor, set_aliases
from outbox.profile import ProfileText, set_profile
from runtime.services import services
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.pages import pages


def _base(language: str) -> str:
    return language.split("-", 1)[0].lower()


async def _editable(request: Request, identity: Identity) -> Actor:
    async with services(request).db.reader() as session:
        actor = await find_local(session, request.path_params["username"])
    if (
        actor is None
        or actor.kind not in (ActorKind.organization, ActorKind.network)
        or not identity.can_edit(actor.id)
    ):
        raise Forbidden("That organisation does not exist here, or you are not one of its editors.")
    return actor


def _values(actor: Actor) -> dict[str, str]:
    values = {"name": actor.display_name, "summary": html_to_text(actor.summary)}
    for language, text in (actor.translations or {}).items():
        values[f"name_{language}"] = text.get("name", "")
        values[f"summary_{language}"] = html_to_text(text.get("summary", ""))
    return values


async def profile_view(request: Request, identity: Identity) -> Response:
    actor = await _editable(request, identity)
    _ = pages(request).gettext(request)
    others = [code for code in INTERFACE_LANGUAGES if code != _base(actor.language or "")]
    values = _values(actor)
    errors: list[str] = []
    if request.method == "POST" and field_text(form_of(request), "action") in ("move", "aliases"):
        form = form_of(request)
        try:
            if field_text(form, "action") == "move":
                if field_text(form, "confirm") != "yes":
                    raise PostError("Tick the box to confirm the move: it cannot be undone here.")
                await move_actor(services(request), actor.username, field_text(form, "target"))
                return done(f"/desk/profile/{actor.username}?moved=1")
            accounts = field_text(form, "aliases").split()
            await set_aliases(services(request), actor.username, accounts)
            return done(f"/desk/profile/{actor.username}?saved=1")
        except (PostError, ResolveError, FederationError) as exc:
            errors = [str(exc)]
    elif request.method == "POST":
        form = form_of(request)
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        texts = [ProfileText(field_text(form, "name"), field_text(form, "summary"))]
        texts += [
            ProfileText(field_text(form, f"name_{code}"), field_text(form, f"summary_{code}"), code)
            for code in others
        ]
        try:
            await set_profile(services(request), actor.username, texts)
            return done(f"/desk/profile/{actor.username}?saved=1")
        except PostError as exc:
            errors = [str(exc)]
    return render(
        request,
        identity,
        "desk/profile.html",
        {
            "actor": actor,
            "values": values,
            "others": others,
            "errors": errors,
            "notice": _("Saved. Followers' servers are told of the change.")
            if request.query_params.get("saved")
            else _("Moved: a Move went to every follower's server; they follow the new account.")
            if request.query_params.get("moved")
            else "",
        },
        status_code=400 if errors else 200,
    )


routes = [
    Route("/desk/profile/{username}", desk_view(profile_view), methods=["GET", "POST"]),
]
