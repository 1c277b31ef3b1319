"""/.well-known/webfinger, host-meta and NodeInfo: how other servers discover us."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from actors.directory import find_by_uri, find_local
from actors.models import Actor, ActorKind
from core.uris import authority
from core.version import SOFTWARE_VERSION
from federation import nodeinfo, webfinger
from outbox.queries import local_post_count
from runtime.responses import JRDResponse, error
from runtime.services import services


async def webfinger_endpoint(request: Request) -> Response:
    svc = services(request)
    try:
        resource = webfinger.parse_resource(request.query_params.get("resource"))
    except webfinger.InvalidResource as exc:
        return _cors(error(400, str(exc)))
    async with svc.db.reader() as session:
        if isinstance(resource, webfinger.Acct):
            if resource.host != svc.settings.host:
                return _cors(error(404, f"{resource.host} is not this server"))
            actor = await find_local(session, resource.username)
        else:
            if authority(resource) != svc.settings.host:
                return _cors(error(404, "that URL is not on this server"))
            actor = await find_by_uri(session, resource)
            if actor is None:
                actor = await session.scalar(
                    select(Actor).where(Actor.url == resource, Actor.kind != "remote")
                )
    if actor is None or not actor.is_local:
        return _cors(error(404, "no such actor"))
    acct = webfinger.Acct(username=actor.username, host=svc.settings.host)
    template = f"{svc.settings.base_url}/authorize_interaction?uri={{uri}}"
    return JRDResponse(webfinger.build_jrd(acct, actor.uri, actor.url or actor.uri, template))


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


async def host_meta(request: Request) -> Response:
    xrd = webfinger.host_meta_xrd(services(request).settings.base_url)
    return Response(
        xrd, media_type="application/xrd+xml", headers={"Access-Control-Allow-Origin": "*"}
    )


async def host_meta_json(request: Request) -> Response:
    return JRDResponse(webfinger.host_meta_json(services(request).settings.base_url))


async def nodeinfo_discovery(request: Request) -> Response:
    return JSONResponse(
        nodeinfo.discovery(services(request).settings.base_url),
        headers={"Access-Control-Allow-Origin": "*"},
    )


async def nodeinfo_document(request: Request) -> Response:
    version = request.path_params["version"]
    if version not in nodeinfo.VERSIONS:
        return error(404, f"NodeInfo {version} is not served; try 2.0 or 2.1")
    svc = services(request)
    async with svc.db.reader() as session:
        users = (
            await session.scalar(
                select(func.count())
                .select_from(Actor)
                .where(
                    Actor.kind.in_([ActorKind.organization, ActorKind.network]),
                    Actor.deleted_at.is_(None),
                )
            )
            or 0
        )
        local_posts = await local_post_count(session)
    usage = nodeinfo.Usage(
        users_total=users,
        users_active_month=users,
        users_active_halfyear=users,
        local_posts=local_posts,
    )
    document = nodeinfo.document(
        version,
        software="hambastegi",
        software_version=SOFTWARE_VERSION,
        usage=usage,
        metadata={
            "nodeName": svc.settings.instance_name,
            "nodeDescription": svc.settings.instance_description,
            **({"contactEmail": svc.settings.contact_email} if svc.settings.contact_email else {}),
        },
    )
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return JSONResponse(
        document,
        media_type=f'application/json; profile="{profile}"',
        headers={"Access-Control-Allow-Origin": "*"},
    )


routes = [
    Route("/.well-known/webfinger", webfinger_endpoint),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/host-meta.json", host_meta_json),
    Route("/.well-known/nodeinfo", nodeinfo_discovery),
    Route("/nodeinfo/{version}", nodeinfo_document),
]
