"""Desk: the curation queue (with provenance), members, and join applications."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.models import Actor, ActorKind
from actors.resolver import ResolveError
from federation.errors import FederationError
from network import booster
from network.members import (
    MembershipError,
    approve_join,
    list_join_requests,
    list_members,
    reject_join,
)
from network.models import CurationItem, JoinRequest, JoinState, Trust
from network.solidarity import fetch_post, solidarity_boost, solidarity_items, take_back
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
    "solidarity": _("Boosted in solidarity: the network's followers and the post's author see it."),
    "undone": _("Boost taken back: an Undo went wherever the boost had gone."),
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


async def solidarity_view(request: Request, identity: Identity) -> Response:
    """Boost any public post on the fediverse in solidarity: paste its address, see it as
    fetched from its origin, add a note, boost; or take a boost back."""
    networks = await _networks(request, identity)
    if not networks:
        raise Forbidden("You are not a curator of any network.")
    svc = services(request)
    errors: list[str] = []
    preview = None
    values = {"url": "", "note": "", "network": networks[0].username}
    if request.method == "POST":
        form = form_of(request)
        values = {name: field_text(form, name) for name in ("url", "note", "network")}
        network = next((n for n in networks if n.username == values["network"]), None)
        if network is None:
            raise Forbidden("You are not a curator of that network.")
        action = field_text(form, "action")
        try:
            if action == "boost":
                await solidarity_boost(
                    svc, network.username, values["url"], note=values["note"],
                    curator=identity.username,
                )  # fmt: skip
                return done("/desk/solidarity?decided=solidarity")
            if action == "undo":
                await take_back(svc, network.username, values["url"])
                return done("/desk/solidarity?decided=undone")
            kept, author = await fetch_post(svc, values["url"])
            preview = reading.remote_entry(kept, author, kind=None)
        except (booster.CurationError, ResolveError, FederationError) as exc:
            errors = [str(exc)]
    boosted = {n.id: await solidarity_items(svc, n.id) for n in networks}
    async with svc.db.reader() as session:
        uris = [item.object_uri for items in boosted.values() for item in items]
        posts = await reading.remote_entries(session, uris)
    return render(
        request,
        identity,
        "desk/solidarity.html",
        {
            "networks": networks,
            "boosted": boosted,
            "posts": posts,
            "values": values,
            "preview": preview,
            "errors": errors,
            "notice": _notice(request),
        },
        status_code=400 if errors else 200,
    )


routes = [
    Route("/desk/solidarity", desk_view(solidarity_view), methods=["GET", "POST"]),
    Route("/desk/curation", desk_view(curation_view)),
    Route("/desk/curation/{item_id:int}/{decision:str}", desk_view(decide_view), methods=["POST"]),
    Route("/desk/members", desk_view(members_view)),
    Route(
        "/desk/join/{request_id:int}/{decision:str}", desk_view(join_decide_view), methods=["POST"]
    ),
]
