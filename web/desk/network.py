"""Desk: the curation queue (with provenance), members, and join applications."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.models import Actor, ActorKind
from actors.resolver import ResolveError
from network import booster
from network.members import (
    MembershipError,
    approve_join,
    list_join_requests,
    list_members,
    reject_join,
)
from network.models import CurationItem, JoinRequest, JoinState, Trust
from outbox.vocabulary import SECTOR_NAMES
from runtime.services import services
from web import reading
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.pages import pages
from web.site import country_names_for


async def _networks(request: Request, identity: Identity) -> list[Actor]:
    async with services(request).db.reader() as session:
        networks = await session.scalars(
            select(Actor).where(Actor.kind == ActorKind.network).order_by(Actor.id)
        )
        return [n for n in networks if identity.can_curate(n.id)]


def _(text: str) -> str:
    """Marks a message for extraction; `_notice` translates it for the reader."""
    return text


NOTICES = {
    "boosted": _("Approved: the network is boosting this post to its followers."),
    "rejected": _("Rejected: the network will not boost this post."),
    "approved": _("Approved: they are a member now, and the network follows them."),
    "declined": _("Declined: the application is closed."),
}


def _notice(request: Request) -> str:
    """What the last decision did (`?decided=`), said on the page it comes back to."""
    message = NOTICES.get(request.query_params.get("decided", ""))
    return pages(request).gettext(request)(message) if message else ""


async def curation_view(request: Request, identity: Identity) -> Response:
    networks = await _networks(request, identity)
    if not networks:
        raise Forbidden("You are not a curator of any network.")
    show_all = request.query_params.get("all") == "1"
    states = ("pending", "boosted", "rejected", "withdrawn") if show_all else ("pending",)
    async with services(request).db.reader() as session:
        queues = [(n, await booster.queue(session, n.id, states)) for n in networks]
        uris = [item.object_uri for _n, items in queues for item, _a in items]
        posts = await reading.remote_entries(session, uris)
    return render(
        request,
        identity,
        "desk/curation.html",
        {
            "queues": queues,
            "show_all": show_all,
            "posts": posts,
            "notice": _notice(request),
        },
    )


async def decide_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    item_id = int(request.path_params["item_id"])
    async with svc.db.reader() as session:
        item = await session.get(CurationItem, item_id)
    if item is None or not identity.can_curate(item.network_id):
        raise Forbidden("That item does not exist, or you are not a curator of its network.")
    approve = request.path_params["decision"] == "approve"
    try:
        await booster.decide(
            svc,
            item_id,
            approve=approve,
            curator=identity.username,
            note=field_text(form_of(request), "note")[:2000],
        )
    except booster.CurationError as exc:
        raise Forbidden(str(exc)) from exc
    return done(f"/desk/curation?decided={'boosted' if approve else 'rejected'}")


async def members_view(
    request: Request, identity: Identity, problem: tuple[int, str] | None = None
) -> Response:
    """Members and applications; `problem`: (application id, what failed) after a decision
    that could not be carried out (the application stays pending)."""
    networks = await _networks(request, identity)
    if not networks:
        raise Forbidden("You are not a curator of any network.")
    async with services(request).db.reader() as session:
        data = [
            (
                n,
                await list_members(session, n),
                await list_join_requests(session, n, tuple(JoinState)),
            )
            for n in networks
        ]
    return render(
        request,
        identity,
        "desk/members.html",
        {
            "networks": data,
            "sector_names": SECTOR_NAMES,
            "country_names": country_names_for(request),
            "problem": problem,
            "notice": _notice(request),
        },
        status_code=400 if problem else 200,
    )


async def join_decide_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    request_id = int(request.path_params["request_id"])
    async with svc.db.reader() as session:
        application = await session.get(JoinRequest, request_id)
    if application is None or not identity.can_curate(application.network_id):
        raise Forbidden("That application does not exist, or you are not a curator of its network.")
    form = form_of(request)
    _ = pages(request).gettext(request)
    approving = request.path_params["decision"] == "approve"
    try:
        if approving:
            trust = Trust.auto if field_text(form, "trust") == "auto" else Trust.review
            await approve_join(
                svc,
                request_id,
                username=field_text(form, "username") or None,
                trust=trust,
                note=field_text(form, "note"),
            )
        else:
            await reject_join(svc, request_id, field_text(form, "note") or "-")
    except MembershipError as exc:
        if isinstance(exc.__cause__, ResolveError):
            what = _(
                "Their fediverse account could not be found: its server did not answer, or "
                "does not know it. The application is still waiting; check the address with "
                "them, or try again later."
            )
        else:
            what = str(exc)
        return await members_view(request, identity, problem=(request_id, what))
    return done(f"/desk/members?decided={'approved' if approving else 'declined'}")


routes = [
    Route("/desk/curation", desk_view(curation_view)),
    Route("/desk/curation/{item_id:int}/{decision:str}", desk_view(decide_view), methods=["POST"]),
    Route("/desk/members", desk_view(members_view)),
    Route(
        "/desk/join/{request_id:int}/{decision:str}", desk_view(join_decide_view), methods=["POST"]
    ),
]
