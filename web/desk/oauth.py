"""Desk: an app asks to post as an organisation (`/oauth/authorize` lands here, behind the
desk's login and second factor); the editor picks which of their organisations the token
speaks for. And the list of apps with access, each revocable."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from accounts.oauth import (
    OUT_OF_BAND,
    AuthorizationRequest,
    OAuthError,
    check_authorization,
    find_app,
    form_target,
    issue_code,
    redirect_with,
    revoke_own,
    tokens_of,
)
from accounts.sessions import Identity
from actors.models import Actor
from runtime.responses import CONTENT_SECURITY_POLICY
from runtime.services import services
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.desk.publishing import editable_actors
from web.pages import pages

ASKED = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
SCOPE_WORDS = {
    "read": "read the organisation's posts, notifications and followers",
    "write": "publish, edit and delete posts as the organisation, and upload images",
    "follow": "follow and unfollow accounts, and answer follow requests",
    "push": "receive push notifications",
    "profile": "see the organisation's profile",
}


async def _request(request: Request) -> AuthorizationRequest:
    source: Any = request.query_params if request.method == "GET" else form_of(request)
    asked = {name: str(source.get(name) or "") or None for name in ASKED}
    async with services(request).db.reader() as session:
        try:
            app = await find_app(session, asked["client_id"])
            return check_authorization(
                app,
                response_type=asked["response_type"],
                redirect_uri=asked["redirect_uri"],
                scope=asked["scope"],
                state=asked["state"],
                code_challenge=asked["code_challenge"],
                code_challenge_method=asked["code_challenge_method"],
            )
        except OAuthError as exc:
            raise Forbidden(f"This app's request cannot be granted: {exc.description}") from exc


def _scope_lines(scopes: tuple[str, ...]) -> list[str]:
    lines = []
    for scope in scopes:
        top, _, sub = scope.partition(":")
        words = SCOPE_WORDS.get(top, top)
        lines.append(f"{words} ({sub})" if sub else words)
    return lines


async def authorize_view(request: Request, identity: Identity) -> Response:
    asked = await _request(request)
    actors: list[Actor] = await editable_actors(request, identity)
    if not actors:
        raise Forbidden("You are not an editor of any organisation yet. Ask an admin.")
    if request.method == "POST":
        form = form_of(request)
        if field_text(form, "decision") != "approve":
            if asked.redirect_uri == OUT_OF_BAND:
                return done("/desk")
            target = redirect_with(asked.redirect_uri, error="access_denied", state=asked.state)
            return _redirect(target, asked.redirect_uri)
        chosen = next((a for a in actors if a.username == field_text(form, "actor")), None)
        if chosen is None:
            raise Forbidden("Choose one of your organisations.")
        svc = services(request)
        async with svc.db.transaction() as session:
            code = await issue_code(
                session, svc.clock, asked, user_id=identity.user_id, actor_id=chosen.id
            )
        if asked.redirect_uri == OUT_OF_BAND:
            return render(
                request, identity, "desk/oauth_code.html", {"code": code, "app": asked.app}
            )
        return _redirect(
            redirect_with(asked.redirect_uri, code=code, state=asked.state), asked.redirect_uri
        )
    _ = pages(request).gettext(request)
    response = render(
        request,
        identity,
        "desk/oauth_authorize.html",
        {
            "app": asked.app,
            "asked": {name: str(request.query_params.get(name) or "") for name in ASKED},
            "scope_lines": [_(line) for line in _scope_lines(asked.scopes)],
            "actors": actors,
        },
    )
    if asked.redirect_uri != OUT_OF_BAND:  # the browser must be let through to the app
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {form_target(asked.redirect_uri)}"
        )
    return response


def _redirect(target: str, registered: str) -> Response:
    return RedirectResponse(target, status_code=303)


async def tokens_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        tokens = await tokens_of(session, identity.user_id)
        names = {a.id: a.display_name for a in await editable_actors(request, identity)}
    _ = pages(request).gettext(request)
    return render(
        request,
        identity,
        "desk/oauth_tokens.html",
        {
            "tokens": tokens,
            "names": names,
            "notice": _("Access revoked: the app can no longer act for the organisation.")
            if request.query_params.get("revoked")
            else "",
        },
    )


async def revoke_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    raw = request.path_params["token_id"]
    async with svc.db.transaction() as session:
        revoked = raw.isdigit() and await revoke_own(session, svc.clock, identity.user_id, int(raw))
    if not revoked:
        raise Forbidden("That access does not exist, or it is not yours.")
    return done("/desk/apps?revoked=1")


routes = [
    Route("/desk/oauth/authorize", desk_view(authorize_view), methods=["GET", "POST"]),
    Route("/desk/apps", desk_view(tokens_view)),
    Route("/desk/apps/{token_id}/revoke", desk_view(revoke_view), methods=["POST"]),
]
