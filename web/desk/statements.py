"""Desk: co-signed statements. Open one of your posts for co-signing (the network's members
are invited); sign a statement as one of your organisations, or withdraw; answer invitations
to co-sign statements published elsewhere."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.models import Actor
from federation.errors import FederationError
from inbox.models import Invitation
from network.cosign import all_network_members, sign_invitation, withdraw_invitation
from outbox.compose import PostError
from outbox.models import Post, Signature, Statement
from outbox.statements import open_statement, sign_here, withdraw_here
from runtime.services import services
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.desk.publishing import editable_actors
from web.pages import pages


def _(text: str) -> str:
    return text


NOTICES = {
    "opened": _("Open for co-signing: the network's members are invited."),
    "signed": _("Signed: the statement lists your organisation."),
    "withdrawn": _("Signature withdrawn."),
}


async def statements_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    actors = await editable_actors(request, identity)
    mine = {a.id for a in actors}
    async with svc.db.reader() as session:
        rows = await session.execute(
            select(Statement, Post, Actor)
            .join(Post, Post.id == Statement.post_id)
            .join(Actor, Actor.id == Post.actor_id)
            .order_by(Statement.id.desc())
            .limit(100)
        )
        statements = []
        for statement, post, publisher in rows:
            signed = set(
                await session.scalars(
                    select(Signature.actor_id).where(Signature.post_id == post.id)
                )
            )
            statements.append((statement, post, publisher, signed))
        invitations = [
            (invitation, inviter)
            for invitation, inviter in await session.execute(
                select(Invitation, Actor)
                .join(Actor, Actor.id == Invitation.inviter_id)
                .where(Invitation.actor_id.in_(mine))
                .order_by(Invitation.id.desc())
            )
        ]
    gettext = pages(request).gettext(request)
    message = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        identity,
        "desk/statements.html",
        {
            "statements": statements,
            "invitations": invitations,
            "actors": actors,
            "by_id": {a.id: a for a in actors},
            "notice": gettext(message) if message else "",
        },
    )


async def _post(request: Request) -> Post:
    async with services(request).db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.public_id == request.path_params["post_id"])
        )
    if post is None:
        raise Forbidden("That post does not exist.")
    return post


async def open_view(request: Request, identity: Identity) -> Response:
    post = await _post(request)
    if not identity.can_edit(post.actor_id):
        raise Forbidden("Only its organisation's editors can open a post for co-signing.")
    svc = services(request)
    try:
        await open_statement(svc, post, await all_network_members(svc))
    except PostError as exc:
        raise Forbidden(str(exc)) from exc
    return done("/desk/statements?done=opened")


async def sign_view(request: Request, identity: Identity) -> Response:
    post = await _post(request)
    actors = await editable_actors(request, identity)
    signer = next((a for a in actors if a.username == field_text(form_of(request), "actor")), None)
    if signer is None:
        raise Forbidden("Choose one of your organisations.")
    withdrawing = request.url.path.endswith("/withdraw")
    try:
        if withdrawing:
            await withdraw_here(services(request), post, signer)
        else:
            await sign_here(services(request), post, signer)
    except PostError as exc:
        raise Forbidden(str(exc)) from exc
    return done(f"/desk/statements?done={'withdrawn' if withdrawing else 'signed'}")


async def invitation_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        invitation = await session.get(Invitation, int(request.path_params["invitation_id"]))
    if invitation is None or not identity.can_edit(invitation.actor_id):
        raise Forbidden("That invitation does not exist, or it is not for your organisation.")
    withdrawing = request.url.path.endswith("/withdraw")
    try:
        if withdrawing:
            await withdraw_invitation(svc, invitation.id)
        else:
            await sign_invitation(svc, invitation.id)
    except (PostError, FederationError) as exc:
        raise Forbidden(str(exc)) from exc
    return done(f"/desk/statements?done={'withdrawn' if withdrawing else 'signed'}")


routes = [
    Route("/desk/statements", desk_view(statements_view)),
    Route("/desk/statements/{post_id}/open", desk_view(open_view), methods=["POST"]),
    Route("/desk/statements/{post_id}/sign", desk_view(sign_view), methods=["POST"]),
    Route("/desk/statements/{post_id}/withdraw", desk_view(sign_view), methods=["POST"]),
    Route(
        "/desk/invitations/{invitation_id:int}/sign", desk_view(invitation_view), methods=["POST"]
    ),
    Route(
        "/desk/invitations/{invitation_id:int}/withdraw",
        desk_view(invitation_view),
        methods=["POST"],
    ),
]
