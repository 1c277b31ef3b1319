"""Flag: a report from another server's moderators about something here, kept for ours, with
what else it names elsewhere (which our moderators may forward: `inbox.forwarding`)."""

from __future__ import annotations

from federation.documents import Activity, is_http_uri
from federation.vocab import as_list, get_id
from inbox.context import Ignored, InboxContext
from inbox.models import Report

MAX_FORWARDABLE = 20


async def handle_flag(ctx: InboxContext, activity: Activity) -> None:
    targets = [uri for item in as_list(activity.object)[:100] if (uri := get_id(item)) is not None]
    ours = [uri for uri in targets if ctx.svc.uris.is_ours(uri)]
    others = [uri for uri in targets if not ctx.svc.uris.is_ours(uri) and is_http_uri(uri)]
    if not ours:
        raise Ignored("the report names nothing on this server")
    reporter = await ctx.actor(activity.actor_uri)
    content = activity.document.get("content")
    async with ctx.effect() as session:
        session.add(
            Report(
                activity_uri=activity.uri,
                reporter_id=reporter.id,
                object_uris=ours,
                other_uris=list(dict.fromkeys(others))[:MAX_FORWARDABLE],
                content=str(content)[:5000] if isinstance(content, str) else "",
                received_at=ctx.svc.clock.now(),
            )
        )
