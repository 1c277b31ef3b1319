"""The member directory as ActivityPub JSON (and data for the site): who is in the network,
by country and sector, with their languages and since when."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from actors.access import FetchRefused, check_fetch
from actors.directory import find_local
from actors.models import ActorKind
from federation.vocab import AS_CONTEXT
from network.members import list_members
from outbox.render import HB_NAMESPACE
from runtime.responses import ActivityJSONResponse, error
from runtime.services import services


async def members_json(request: Request) -> Response:
    try:
        await check_fetch(request)
    except FetchRefused as refused:
        return refused.response
    svc = services(request)
    country = request.query_params.get("country")
    sector = request.query_params.get("sector")
    async with svc.db.reader() as session:
        network = await find_local(session, request.path_params["username"])
        if network is None or network.kind != ActorKind.network:
            return error(404, "no such network")
        rows = await list_members(session, network, country=country, sector=sector)
    items = [
        {
            "id": actor.uri,
            "type": actor.as_type,
            "name": actor.display_name,
            "url": actor.url or actor.uri,
            "preferredUsername": actor.username,
            "country": member.country,
            "sector": member.sector,
            "languages": member.languages,
            "memberSince": member.since.isoformat(),
        }
        for member, actor in rows
    ]
    return ActivityJSONResponse(
        {
            "@context": [
                AS_CONTEXT,
                {
                    "hb": HB_NAMESPACE,
                    "country": "hb:country",
                    "sector": "hb:sector",
                    "languages": "hb:languages",
                    "memberSince": "hb:memberSince",
                },
            ],
            "id": f"{network.uri}/members",
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )
