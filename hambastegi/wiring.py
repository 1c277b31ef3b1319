"""Wire one instance's services: the callbacks lower layers use to reach upper ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from core.clock import Clock
from core.config import Settings
from inbox.dispatch import Handler, routing_table
from inbox.hooks import InboxHooks
from mail import sending as mail_sending
from network import hooks as network_hooks
from network import inbox_hooks as network_inbox_hooks
from outbox import editions
from runtime.services import Services, open_services


def install_hooks(svc: Services) -> None:
    svc.hooks.post_published.extend(
        [editions.announce_in_editions, network_hooks.on_published, mail_sending.queue_bulletin]
    )
    svc.hooks.post_updated.append(network_hooks.on_updated)
    svc.hooks.post_deleted.extend([editions.withdraw_from_editions, network_hooks.on_deleted])


def inbox_handlers() -> dict[str, Handler]:
    """The routing table of the inbox (`inbox.dispatch`, the only one)."""
    return routing_table()


def inbox_hooks() -> InboxHooks:
    """What the network hears from the inbox, and what it claims."""
    hooks = InboxHooks()
    network_inbox_hooks.install(hooks)
    return hooks


@asynccontextmanager
async def instance_services(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[Services]:
    """`open_services` plus every callback: what the app, the CLI and the tests all use."""
    async with open_services(settings, clock) as svc:
        install_hooks(svc)
        yield svc
