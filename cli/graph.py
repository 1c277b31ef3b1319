"""CLI commands for the social graph and moderation: follow, followers, domains, reports."""

from __future__ import annotations

from sqlalchemy import select

from actors.directory import get_local
from actors.domains import forget_rules, list_policies, remove_policy, set_policy
from actors.models import Actor, DomainPolicyKind, FollowState
from actors.resolver import resolve_handle
from cli.errors import CommandError
from inbox.forwarding import forward_report
from inbox.models import Report
from outbox.blocks import block_domain
from outbox.follows import (
    accept_follow,
    find_follower,
    follow,
    list_followers,
    list_following,
    reject_follow,
    unfollow,
)
from runtime.services import Services


async def _ours(svc: Services, username: str) -> Actor:
    async with svc.db.reader() as session:
        return await get_local(session, username)


async def follow_command(svc: Services, actor_name: str, target: str) -> int:
    actor = await _ours(svc, actor_name)
    other = await resolve_handle(svc, target)
    row = await follow(svc, actor, other)
    print(
        f"{actor.handle} → {other.handle}: {row.state}"
        + (
            " (waiting for their server to accept)"
            if row.state == FollowState.pending and not other.is_local
            else ""
        )
    )
    return 0


async def unfollow_command(svc: Services, actor_name: str, target: str) -> int:
    actor = await _ours(svc, actor_name)
    other = await resolve_handle(svc, target)
    if not await unfollow(svc, actor, other):
        raise CommandError(f"{actor.handle} does not follow {other.handle}")
    print(f"{actor.handle} no longer follows {other.handle}")
    return 0


async def followers_list(svc: Services, actor_name: str, pending_only: bool) -> int:
    actor = await _ours(svc, actor_name)
    async with svc.db.reader() as session:
        rows = await list_followers(
            session, actor, state=FollowState.pending if pending_only else None
        )
    if not rows:
        print("no pending requests" if pending_only else "no followers yet")
    for row, follower in rows:
        print(f"{row.state:<9} {follower.username}@{follower.domain}  {follower.uri}")
    return 0


async def followers_decide(svc: Services, actor_name: str, who: str, decision: str) -> int:
    actor = await _ours(svc, actor_name)
    async with svc.db.transaction() as session:
        row, follower = await find_follower(session, actor, who)
        if decision == "approve":
            if row.state == FollowState.accepted:
                raise CommandError(f"{who} already follows {actor.handle}")
            await accept_follow(session, svc, row, follower, actor)
        elif decision == "reject" and row.state != FollowState.pending:
            raise CommandError(f"{who} has no pending request; use `followers remove`")
        else:
            await reject_follow(session, svc, row, follower, actor)
    print({"approve": "approved", "reject": "rejected", "remove": "removed"}[decision] + f" {who}")
    return 0


async def following_list(svc: Services, actor_name: str) -> int:
    actor = await _ours(svc, actor_name)
    async with svc.db.reader() as session:
        rows = await list_following(session, actor)
    if not rows:
        print("follows no one yet")
    for row, other in rows:
        print(f"{row.state:<9} {other.username}@{other.domain}  {other.uri}")
    return 0


async def domain_set(svc: Services, domain: str, policy: str, note: str) -> int:
    if policy == "block":
        try:
            outcome = await block_domain(svc, domain, note)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        print(
            f"blocked {outcome.domain}: {outcome.followers_removed} of its followers removed, "
            f"{outcome.follows_ended} follows of it ended (each told), "
            f"{outcome.deliveries_cancelled} queued deliveries cancelled"
        )
        return 0
    try:
        async with svc.db.transaction() as session:
            row = await set_policy(session, svc.clock, domain, DomainPolicyKind(policy), note)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    forget_rules(svc)
    print(f"{policy}ed {row.domain}")
    return 0


async def domain_remove(svc: Services, domain: str, policy: str) -> int:
    try:
        async with svc.db.transaction() as session:
            removed = await remove_policy(session, domain, DomainPolicyKind(policy))
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if not removed:
        raise CommandError(f"{domain} has no {policy} entry")
    forget_rules(svc)
    print(f"removed the {policy} entry for {domain}")
    return 0


async def domain_list(svc: Services) -> int:
    async with svc.db.reader() as session:
        rows = await list_policies(session)
    if not rows:
        print("no blocked or allowed servers")
    for row in rows:
        print(f"{row.policy:<6} {row.domain}  {row.note}")
    return 0


async def reports_list(svc: Services, everything: bool) -> int:
    async with svc.db.reader() as session:
        query = select(Report, Actor).join(Actor, Actor.id == Report.reporter_id)
        if not everything:
            query = query.where(Report.resolved_at.is_(None))
        rows = list(await session.execute(query.order_by(Report.id)))
    for report, reporter in rows:
        state = "resolved" if report.resolved_at else "open"
        print(f"#{report.id:<5} {state:<8} from {reporter.domain}  {report.received_at:%Y-%m-%d}")
        for uri in report.object_uris:
            print(f"    here:      {uri}")
        for uri in report.other_uris:
            print(f"    elsewhere: {uri}")
        if report.forwarded_to:
            print(f"    forwarded to {', '.join(report.forwarded_to)}")
        if report.content:
            print(f"    {report.content[:300]}")
    if not rows:
        print("no reports")
    return 0


async def reports_forward(svc: Services, report_id: int, note: str) -> int:
    servers = await forward_report(svc, report_id, note)
    print(f"report #{report_id} forwarded to the moderators of {', '.join(servers)}")
    return 0


async def reports_resolve(svc: Services, report_id: int, note: str) -> int:
    async with svc.db.transaction() as session:
        report = await session.get(Report, report_id)
        if report is None:
            raise CommandError(f"no report #{report_id}")
        report.resolved_at = svc.clock.now()
        report.resolution_note = note[:2000]
    print(f"report #{report_id} resolved")
    return 0
