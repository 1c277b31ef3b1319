"""Flag: a report from another server's moderators about something here, kept for ours."""

from __future__ import annotations

from federation.documents import Activity
from federation.vocab import as_list, get_id
from inbox.context import Ignored, InboxContext
from inbox.models import Report


async def handle_flag(ctx: InboxContext, activity: Activity) -> None:
    targets = [uri for item in as_list(activity.object)[:100] if (uri := get_id(item)) is not None]
    ours = [uri for uri in targets if ctx.svc.uris.is_ours(uri)]
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
                content=str(content)[:5000] if isinstance(content, str) else "",
                received_at=ctx.svc.clock.now(),
            )
        )
