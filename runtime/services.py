"""`Services`: everything one instance shares, built by `create_app` or the CLI, never at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from content.i18n import Catalogs
from core.clock import Clock, SystemClock
from core.config import Settings
from core.paths import locales_dir
from core.uris import Uris
from federation.client import ClientConfig, FederationClient
from storage.database import Database


@dataclass
class Wakeups:
    """In-process nudges so workers pick up new rows at once instead of at their next poll."""

    events: dict[str, asyncio.Event] = field(default_factory=dict)

    def event(self, name: str) -> asyncio.Event:
        return self.events.setdefault(name, asyncio.Event())

    def notify(self, name: str) -> None:
        self.event(name).set()


T = TypeVar("T")


@dataclass
class Components:
    """State one instance keeps in memory, each piece owned and typed by the module that defines
    its class (the key cache in `actors.verification`, the domain rules in `actors.domains`,
    server health in `actors.health`, signing keys in `actors.keystore`): `svc.component(
    KeyCache)`. Made on first use, one per class per instance; never a global."""

    _made: dict[type, object] = field(default_factory=dict)

    def get(self, kind: type[T]) -> T:
        found = self._made.get(kind)
        if found is None:
            found = self._made[kind] = kind()
        return cast(T, found)

    def close(self) -> None:
        """Let each piece that holds something outside this process (the PDF maker's worker
        processes) let it go; the instance is shutting down."""
        for made in self._made.values():
            close = getattr(made, "close", None)
            if callable(close):
                close()


PostHook = Callable[[AsyncSession, "Services", int], Awaitable[None]]


@dataclass
class Hooks:
    """Callbacks the composition root registers so lower layers can notify upper ones. Each runs
    inside the transaction that made the change, so its effects commit (or not) with it."""

    post_published: list[PostHook] = field(default_factory=list)
    post_updated: list[PostHook] = field(default_factory=list)
    post_deleted: list[PostHook] = field(default_factory=list)

    async def run(
        self, hooks: list[PostHook], session: AsyncSession, svc: Services, post_id: int
    ) -> None:
        for hook in hooks:
            await hook(session, svc, post_id)


@dataclass
class Services:
    settings: Settings
    db: Database
    client: FederationClient
    clock: Clock
    uris: Uris
    catalogs: Catalogs
    hooks: Hooks = field(default_factory=Hooks)
    wakeups: Wakeups = field(default_factory=Wakeups)
    components: Components = field(default_factory=Components)

    def component(self, kind: type[T]) -> T:
        """This instance's one `kind` (see `Components`)."""
        return self.components.get(kind)


def client_config(settings: Settings) -> ClientConfig:
    return ClientConfig(
        user_agent=settings.user_agent,
        allow_private_network=settings.allow_private_network,
        max_bytes=settings.max_fetch_bytes,
        total_timeout=settings.fetch_timeout,
        connect_timeout=settings.connect_timeout,
        concurrency=settings.delivery_concurrency,
        per_host=settings.delivery_per_host,
        slow_lane=4 * settings.delivery_concurrency,  # DeliveryWorker's SLOW_LANE_FACTOR
        ca_bundle=str(settings.ca_bundle) if settings.ca_bundle else None,
    )


@asynccontextmanager
async def open_services(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Services]:
    """Open the database and the HTTP client for one instance; close both on exit."""
    clock = clock or SystemClock()
    db = Database(
        settings.database_url,
        schema=settings.database_schema,
        synchronous=settings.sqlite_synchronous,
    )
    try:
        async with FederationClient(client_config(settings), clock.now) as client:
            svc = Services(
                settings=settings,
                db=db,
                client=client,
                clock=clock,
                uris=Uris(settings.base_url),
                catalogs=Catalogs(locales_dir()),
            )
            try:
                yield svc
            finally:
                await asyncio.to_thread(svc.components.close)
    finally:
        await db.dispose()


def services(request: Request) -> Services:
    """The instance's services, as the lifespan put them in the request state."""
    found: Services = request.state.services
    return found
