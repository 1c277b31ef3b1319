"""Background workers, started with the web server (or alone by `hambastegi worker`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hambastegi.wiring import inbox_handlers, inbox_hooks
from inbox.worker import InboxWorker
from mail.sending import MailWorker
from outbox.posts import publish_due
from outbox.reminders import send_reminders
from outbox.worker import DeliveryWorker
from runtime.services import Services
from storage.meta import set_meta

log = logging.getLogger(__name__)


def inbox_worker(svc: Services) -> InboxWorker:
    return InboxWorker(svc, inbox_handlers(), inbox_hooks())


REMINDER_SECONDS = 60.0  # how often meetings are looked at for reminders


async def run_scheduler(svc: Services, stop: asyncio.Event) -> None:
    """Publish scheduled posts when their time comes (also those due while we were down), and
    remind followers of meetings."""
    reminded_at = -REMINDER_SECONDS
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            await publish_due(svc)
        except Exception:
            log.exception("publishing scheduled posts failed; will retry")
        if loop.time() - reminded_at >= REMINDER_SECONDS:
            reminded_at = loop.time()
            try:
                await send_reminders(svc)
            except Exception:
                log.exception("sending event reminders failed; will retry")
        try:
            async with asyncio.timeout(max(svc.settings.poll_seconds, 0.05)):
                await stop.wait()
        except TimeoutError:
            pass


HEARTBEAT_SECONDS = 15.0


async def beat(svc: Services, tasks: dict[str, asyncio.Task[None]], stop: asyncio.Event) -> None:
    """Record, for each kind of worker still running here, that it is alive (`/healthz` reads
    these, whichever process serves it)."""
    while not stop.is_set():
        now = svc.clock.now().isoformat()
        try:
            async with svc.db.transaction() as session:
                for name, task in tasks.items():
                    if not task.done():
                        await set_meta(session, f"heartbeat:{name}", now)
        except Exception:
            log.warning("could not record the workers' heartbeat; will retry", exc_info=True)
        try:
            async with asyncio.timeout(HEARTBEAT_SECONDS):
                await stop.wait()
        except TimeoutError:
            pass


@asynccontextmanager
async def run_workers(svc: Services, *, enabled: bool) -> AsyncIterator[None]:
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    loops = {
        "inbox": inbox_worker(svc).run(stop),
        "deliveries": DeliveryWorker(svc).run(stop),
        "scheduler": run_scheduler(svc, stop),
        "mail": MailWorker(svc).run(stop),
    }
    named = {name: asyncio.create_task(coro, name=f"worker-{name}") for name, coro in loops.items()}
    tasks = [*named.values(), asyncio.create_task(beat(svc, named, stop), name="worker-heartbeat")]
    try:
        yield
    finally:
        stop.set()
        done, pending = await asyncio.wait(tasks, timeout=5)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.error("worker %s stopped with %r", task.get_name(), task.exception())
