"""`create_app(settings)`: one instance, with no globals, so two can live in one process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from actors import routes as actor_routes
from api.routing import Preflight, api_routes
from content.i18n import INTERFACE_LANGUAGES
from core.clock import Clock
from core.config import Settings
from core.paths import locales_dir, static_dir, templates_dir
from federation.vocab import wants_activity_json
from hambastegi.instance import prepare_instance
from hambastegi.wiring import instance_services
from hambastegi.workers import run_workers
from inbox.intake import InboxIntake
from inbox.routes import DirectInboxes, inbox_routes
from network import relays
from network import routes as network_routes
from outbox import routes as outbox_routes
from runtime.responses import error
from web import interact, mailing, operations, pages, printing, site, wellknown
from web.desk import attending as desk_attending
from web.desk import following as desk_following
from web.desk import moderation as desk_moderation
from web.desk import network as desk_network
from web.desk import oauth as desk_oauth
from web.desk import profile as desk_profile
from web.desk import publishing as desk_publishing
from web.desk import statements as desk_statements
from web.desk.common import LoginGuard
from web.desk.login import login_routes
from web.forms import AttemptLimiter
from web.middleware import LanguagePrefix, OnionLocation, RefuseNul, SecurityHeaders
from web.negotiation import negotiate
from web.pagecache import PageCache
from web.templating import Pages

log = logging.getLogger(__name__)


def create_app_from_environment() -> Starlette:
    """The app of one of `hambastegi serve --workers N`'s processes: settings from the
    environment, as the command that started them had them."""
    return create_app(Settings.from_env())


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """Build one instance. Calling it twice in one process is safe."""
    intake = InboxIntake()
    renderer = Pages.create(
        templates_dir(),
        locales_dir(),
        default_language=settings.default_language,
        instance_name=settings.instance_name,
        host=settings.host,
        mirrors=settings.mirrors,
        onion=settings.onion_address,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with instance_services(settings, clock) as svc:
            await prepare_instance(svc)
            await intake.start(svc)
            try:
                async with run_workers(svc, enabled=settings.run_workers):
                    log.info("instance ready base_url=%s", settings.base_url)
                    yield {"services": svc, "pages": renderer}
            finally:
                await intake.stop()

    return Starlette(
        routes=build_routes(intake, LoginGuard(), AttemptLimiter(limit=5, window=600)),
        lifespan=lifespan,
        middleware=[
            Middleware(DirectInboxes, intake=intake, is_relay=relays.trusted_relay),
            Middleware(RefuseNul),
            Middleware(Preflight),
            Middleware(LanguagePrefix, languages=INTERFACE_LANGUAGES),
            Middleware(PageCache, seconds=settings.page_cache_seconds),
            Middleware(SecurityHeaders),
            Middleware(OnionLocation, onion=settings.onion_address),
            Middleware(GZipMiddleware, minimum_size=1024),
        ],
        exception_handlers={HTTPException: _http_error},
    )


def build_routes(
    intake: InboxIntake, login_guard: LoginGuard, form_limiter: AttemptLimiter
) -> list[BaseRoute]:
    return [
        *inbox_routes(intake, relays.trusted_relay),  # first: the busiest routes
        *wellknown.routes,
        *operations.routes,
        *site.site_routes(form_limiter),
        *login_routes(login_guard),
        *desk_publishing.routes,
        *desk_network.routes,
        *desk_profile.routes,
        *desk_statements.routes,
        *desk_attending.routes,
        *desk_moderation.routes,
        *desk_following.routes,
        *interact.interact_routes(form_limiter),
        *mailing.mailing_routes(form_limiter),
        *desk_oauth.routes,
        *api_routes(),
        Route(
            "/actor", negotiate(actor_routes.instance_actor_json, actor_routes.instance_actor_json)
        ),
        *(
            Route(f"/actor/{name}", actor_routes.instance_collection_json)
            for name in ("outbox", "followers", "following", "featured")
        ),
        Route("/actors/{username}", negotiate(actor_routes.actor_json, pages.actor_page)),
        Route("/actors/{username}/followers", actor_routes.followers_json),
        Route("/actors/{username}/outbox", outbox_routes.outbox_json),
        Route("/actors/{username}/featured", outbox_routes.featured_json),
        Route("/actors/{username}/members", network_routes.members_json),
        Route("/objects/{object_id}", negotiate(outbox_routes.object_json, pages.post_page)),
        Route("/objects/{object_id}/pdf", printing.post_pdf),
        Route("/objects/{object_id}/signatories", outbox_routes.signatories_json),
        Route("/objects/{object_id}/likes", outbox_routes.interactions_json),
        Route("/objects/{object_id}/shares", outbox_routes.interactions_json),
        Route("/activities/{activity_id}", outbox_routes.activity_json),
        Route("/actors/{username}/following", actor_routes.following_json),
        Route("/@{username}", pages.profile_alias),
        Route("/media/{name}", pages.media_file),
        Mount("/static", StaticFiles(directory=str(static_dir())), name="static"),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    if wants_activity_json(request.headers.get("accept")) or request.method != "GET":
        return error(status, str(detail))
    if status == 404:
        return pages.not_found(request)
    return pages.pages(request).render(
        request, "error.html", {"title": str(status), "message": str(detail)}, status_code=status
    )
