"""Desk: follower requests (approve, reject, remove), and moderation for admins: blocked servers,
allowlist mode, reports received from other servers, and reports sent to them."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.domains import forget_rules, list_policies, remove_policy, set_policy
from actors.models import Actor, DomainPolicyKind, Follow, FollowState
from actors.resolver import ResolveError
from federation.errors import FederationError
from inbox.forwarding import forward_report
from inbox.models import Report
from outbox.blocks import block_domain
from outbox.compose import PostError
from outbox.follows import accept_follow, list_followers, reject_follow
from outbox.reports import send_report
from runtime.services import services
from storage.meta import get_meta, set_meta
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.desk.publishing import editable_actors
from web.pages import pages


async def followers_view(request: Request, identity: Identity) -> Response:
    actors = await editable_actors(request, identity)
    async with services(request).db.reader() as session:
        data = [(a, await list_followers(session, a)) for a in actors]
    return render(request, identity, "desk/followers.html", {"data": data})


async def follower_decide_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    decision = request.path_params["decision"]
    async with svc.db.transaction() as session:
        row = await session.get(Follow, int(request.path_params["follow_id"]))
        if row is None or not identity.can_edit(row.followed_id):
            raise Forbidden(
                "That follower does not exist, or you are not an editor of that organisation."
            )
        follower = await session.get(Actor, row.follower_id)
        followed = await session.get(Actor, row.followed_id)
        if follower is None or followed is None:
            raise Forbidden("That follower is gone.")
        if decision == "approve" and row.state == FollowState.pending:
            await accept_follow(session, svc, row, follower, followed)
        elif decision in ("reject", "remove"):
            await reject_follow(session, svc, row, follower, followed)
    return done("/desk/followers")


def _admin(identity: Identity) -> None:
    if not identity.is_admin:
        raise Forbidden("Only admins moderate the server.")


async def moderation_view(
    request: Request, identity: Identity, *, errors: list[str] | None = None, status: int = 200
) -> Response:
    _admin(identity)
    svc = services(request)
    _ = pages(request).gettext(request)
    async with svc.db.reader() as session:
        policies = await list_policies(session)
        allowlist = (await get_meta(session, "allowlist_mode")) or (
            "on" if svc.settings.allowlist_mode else "off"
        )
        reports = (
            await session.execute(
                select(Report, Actor)
                .join(Actor, Actor.id == Report.reporter_id)
                .order_by(Report.id.desc())
            )
        ).all()
    return render(
        request,
        identity,
        "desk/moderation.html",
        {
            "policies": policies,
            "allowlist": allowlist == "on",
            "reports": reports,
            "errors": errors or [],
            "notice": _("Report sent to that server's moderators, from this server (not you).")
            if request.query_params.get("reported")
            else _("Report forwarded to their servers' moderators, from this server (not you).")
            if request.query_params.get("forwarded")
            else "",
        },
        status_code=status,
    )


async def domain_view(request: Request, identity: Identity) -> Response:
    _admin(identity)
    svc = services(request)
    form = form_of(request)
    action = field_text(form, "action")
    try:
        if action == "block":
            await block_domain(svc, field_text(form, "domain"), field_text(form, "note"))
        async with svc.db.transaction() as session:
            if action == "allow":
                await set_policy(
                    session,
                    svc.clock,
                    field_text(form, "domain"),
                    DomainPolicyKind.allow,
                    field_text(form, "note"),
                )
            elif action in ("unblock", "disallow"):
                kind = DomainPolicyKind.block if action == "unblock" else DomainPolicyKind.allow
                await remove_policy(session, field_text(form, "domain"), kind)
            elif action in ("allowlist_on", "allowlist_off"):
                await set_meta(
                    session, "allowlist_mode", "on" if action == "allowlist_on" else "off"
                )
    except ValueError as exc:
        raise Forbidden(str(exc)) from exc
    forget_rules(svc)
    return done("/desk/moderation")


async def report_view(request: Request, identity: Identity) -> Response:
    _admin(identity)
    svc = services(request)
    async with svc.db.transaction() as session:
        report = await session.get(Report, int(request.path_params["report_id"]))
        if report is not None:
            report.resolved_at = svc.clock.now()
            report.resolution_note = field_text(form_of(request), "note")[:2000]
    return done("/desk/moderation")


async def report_forward_view(request: Request, identity: Identity) -> Response:
    """Pass a report received here on to the other servers it names (from the instance)."""
    _admin(identity)
    try:
        await forward_report(
            services(request),
            int(request.path_params["report_id"]),
            field_text(form_of(request), "note"),
        )
    except (PostError, ResolveError, FederationError) as exc:
        return await moderation_view(request, identity, errors=[str(exc)], status=400)
    return done("/desk/moderation?forwarded=1")


async def report_out_view(request: Request, identity: Identity) -> Response:
    """Report an account elsewhere to its server's moderators (a Flag from the instance)."""
    _admin(identity)
    form = form_of(request)
    posts = field_text(form, "posts").split()
    try:
        await send_report(
            services(request), field_text(form, "account"), field_text(form, "comment"), posts
        )
    except (PostError, ResolveError, FederationError) as exc:
        return await moderation_view(request, identity, errors=[str(exc)], status=400)
    return done("/desk/moderation?reported=1")


routes = [
    Route("/desk/followers", desk_view(followers_view)),
    Route(
        "/desk/followers/{follow_id:int}/{decision:str}",
        desk_view(follower_decide_view),
        methods=["POST"],
    ),
    Route("/desk/moderation", desk_view(moderation_view)),
    Route("/desk/moderation/domains", desk_view(domain_view), methods=["POST"]),
    Route("/desk/moderation/reports/{report_id:int}", desk_view(report_view), methods=["POST"]),
    Route(
        "/desk/moderation/reports/{report_id:int}/forward",
        desk_view(report_forward_view),
        methods=["POST"],
    ),
    Route("/desk/moderation/report", desk_view(report_out_view), methods=["POST"]),
]
