"""Reports out: our moderators tell another server's moderators about an account there, or
its posts (a `Flag`, as Mastodon sends it). The report comes from this server's instance
actor: the moderator who wrote it is never named to the other server."""

from __future__ import annotations

from collections.abc import Sequence

from actors.directory import ensure_instance_actor
from actors.models import Actor, delivery_inbox
from actors.resolver import resolve_actor, resolve_handle
from core.uris import authority
from outbox.compose import PostError
from outbox.enqueue import enqueue, new_activity_uri
from outbox.models import OutboxActivity
from runtime.services import Services

MAX_COMMENT = 1000
MAX_POSTS = 20


async def _account(svc: Services, who: str) -> Actor:
    text = who.strip()
    if text.startswith(("http://", "https://")):
        return await resolve_actor(svc, text)
    return await resolve_handle(svc, text.lstrip("@"))


async def send_report(
    svc: Services, account: str, comment: str, posts: Sequence[str] = ()
) -> OutboxActivity:
    """Flag an account elsewhere (a handle or its URL), with some of its posts (their URLs, on
    the same server), to its server's inbox."""
    if len(comment) > MAX_COMMENT:
        raise PostError(f"the comment is longer than {MAX_COMMENT} characters")
    if len(posts) > MAX_POSTS:
        raise PostError(f"a report names at most {MAX_POSTS} posts")
    target = await _account(svc, account)
    if target.is_local:
        raise PostError("that account is on this server: moderate it here")
    named = [p.strip() for p in posts if p.strip() and p.strip() != target.uri]
    foreign = [p for p in named if authority(p) != authority(target.uri)]
    if foreign:
        raise PostError(f"not on {authority(target.uri)}: {', '.join(foreign)}")
    inbox = delivery_inbox(target.shared_inbox_uri, target.inbox_uri)
    if not inbox:
        raise PostError(f"{target.uri} has no inbox to report to")
    async with svc.db.transaction() as session:
        reporter = await ensure_instance_actor(
            session, svc.uris, svc.clock, svc.settings.secret_key
        )
        flag = {
            "id": new_activity_uri(svc.uris),
            "type": "Flag",
            "actor": reporter.uri,
            "object": [target.uri, *dict.fromkeys(named)],
            "content": comment.strip(),
        }
        return await enqueue(session, svc, reporter, flag, [inbox])
