"""Forwarding a report received here: a `Flag` from another server that also names accounts or
posts on a third server (the post one of ours answered or boosted) can be passed on to that
server's moderators. It goes from this server's instance actor with the report's own words (and
our moderator's note, if any): neither the first reporter nor our moderator is named."""

from __future__ import annotations

from sqlalchemy import select

from actors.directory import ensure_instance_actor, find_by_uri
from actors.models import Actor, delivery_inbox
from actors.resolver import resolve_actor
from core.uris import authority
from federation.errors import InvalidDocument
from inbox.models import RemoteObject, Report
from inbox.objects import fetch_object
from outbox.compose import PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.reports import MAX_COMMENT
from runtime.services import Services


async def _account_of(svc: Services, uri: str) -> Actor:
    """The account `uri` is, or whose post it is (as we keep it, else from its origin)."""
    async with svc.db.reader() as session:
        known = await find_by_uri(session, uri)
        if known is not None:
            return known
        kept = await session.scalar(select(RemoteObject).where(RemoteObject.uri == uri))
        author = await session.get(Actor, kept.actor_id) if kept is not None else None
    if author is not None:
        return author
    try:
        data = await fetch_object(svc, uri)
    except InvalidDocument:  # not a post: perhaps the account itself
        return await resolve_actor(svc, uri)
    return await resolve_actor(svc, data.attributed_to)


async def forward_report(svc: Services, report_id: int, note: str = "") -> list[str]:
    """Send the report on to each other server it names; returns those servers."""
    if len(note) > MAX_COMMENT:
        raise PostError(f"the note is longer than {MAX_COMMENT} characters")
    async with svc.db.reader() as session:
        report = await session.get(Report, report_id)
    if report is None:
        raise PostError(f"no report #{report_id}")
    if report.forwarded_at is not None:
        raise PostError(f"forwarded already, to {', '.join(report.forwarded_to)}")
    if not report.other_uris:
        raise PostError("the report names nothing on another server")
    servers: dict[str, tuple[str, list[str]]] = {}
    for uri in report.other_uris:
        account = await _account_of(svc, uri)
        inbox = delivery_inbox(account.shared_inbox_uri, account.inbox_uri)
        if account.is_local or not inbox:
            continue
        _, named = servers.setdefault(authority(account.uri), (inbox, []))
        named.extend(u for u in (account.uri, uri) if u not in named)
    if not servers:
        raise PostError("none of the accounts it names has an inbox to report to")
    comment = "\n\n".join(part for part in (report.content.strip(), note.strip()) if part)
    async with svc.db.transaction() as session:
        reporter = await ensure_instance_actor(
            session, svc.uris, svc.clock, svc.settings.secret_key
        )
        for inbox, named in servers.values():
            flag = {
                "id": new_activity_uri(svc.uris),
                "type": "Flag",
                "actor": reporter.uri,
                "object": named,
                "content": comment[: MAX_COMMENT * 6],
            }
            await enqueue(session, svc, reporter, flag, [inbox])
        row = await session.get(Report, report_id)
        if row is not None:
            row.forwarded_at = svc.clock.now()
            row.forwarded_to = sorted(servers)
    return sorted(servers)
