"""Sending bulletins by email, durably, like federation's deliveries: a published bulletin
(or translation) queues one message per confirmed subscriber whose languages include it, at
most one edition per bulletin and subscriber; the worker leases due rows, sends them through
one SMTP connection at the relay's rate, and records each message as sent the moment the
relay accepts it, so a worker killed mid-batch resends nothing. A 4xx is retried later, a 5xx
is final and counted as a bounce against the address."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from mail import compose
from mail.models import MailKind, MailMessage, MailState, Subscriber
from outbox.enqueue import notify_after_commit
from outbox.kinds import PostKind
from outbox.models import Post, PostState, Visibility
from runtime.services import Services
from storage.queue import claim

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 20
MAX_BOUNCES = 3  # hard bounces before an address gets no more bulletins


def _base(language: str) -> str:
    return language.split("-", 1)[0].lower()


async def queue_bulletin(session: AsyncSession, svc: Services, post_id: int) -> None:
    """The `post_published` hook: queue this edition for those who read its language and have
    not had an edition of the same bulletin yet."""
    post = await session.get(Post, post_id)
    if (
        post is None
        or post.kind != PostKind.article
        or post.visibility != Visibility.public
        or post.state != PostState.published
    ):
        return
    bulletin_id = post.translation_of_id or post.id
    subscribers = list(
        await session.scalars(
            select(Subscriber).where(
                Subscriber.actor_id == post.actor_id,
                Subscriber.confirmed_at.is_not(None),
                Subscriber.bounces < MAX_BOUNCES,
            )
        )
    )
    readers = [s for s in subscribers if _base(post.language) in {_base(x) for x in s.languages}]
    if not readers:
        return
    served = set(
        await session.scalars(
            select(MailMessage.subscriber_id).where(MailMessage.bulletin_id == bulletin_id)
        )
    )
    now = svc.clock.now()
    for reader in readers:
        if reader.id in served:
            continue
        session.add(
            MailMessage(
                subscriber_id=reader.id,
                kind=MailKind.bulletin,
                bulletin_id=bulletin_id,
                post_id=post.id,
                language=post.language,
                state=MailState.pending,
                next_attempt_at=now,
                created_at=now,
            )
        )
    await session.flush()
    notify_after_commit(session, svc, "mail")


@dataclass(frozen=True)
class Relay:
    hostname: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Relay:
        parts = urlsplit(url)
        implicit = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if implicit else 587),
            implicit_tls=implicit,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def client(self, timeout: float, ca_bundle: Path | None = None) -> aiosmtplib.SMTP:
        context = ssl.create_default_context(cafile=str(ca_bundle)) if ca_bundle else None
        return aiosmtplib.SMTP(
            tls_context=context,
            hostname=self.hostname,
            port=self.port,
            use_tls=self.implicit_tls,
            start_tls=None,  # STARTTLS whenever the server offers it
            username=self.username,
            password=self.password,
            timeout=timeout,
        )


class MailWorker:
    def __init__(self, svc: Services, *, batch: int = BATCH) -> None:
        self.svc = svc
        self.batch = batch
        self.sent = 0

    async def run(self, stop: asyncio.Event) -> None:
        wake = self.svc.wakeups.event("mail")
        while not stop.is_set():
            wake.clear()
            try:
                done = await self.run_once(limit=self.batch)
            except Exception:
                log.exception("sending mail failed; will retry")
                done = 0
            if done:
                continue
            try:
                async with asyncio.timeout(max(self.svc.settings.poll_seconds, 0.05) * 5):
                    waiters = [asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())]
                    try:
                        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        for waiter in waiters:
                            waiter.cancel()
            except TimeoutError:
                pass

    async def run_once(self, *, limit: int = BATCH) -> int:
        """Send one batch of due messages; returns how many were claimed."""
        settings = self.svc.settings
        if not settings.smtp_url:
            return 0
        now = self.svc.clock.now()
        lease, ids = await claim(
            self.svc.db,
            MailMessage,
            ready_state=MailState.pending,
            now=now,
            lease_for=timedelta(seconds=settings.lease_seconds),
            limit=limit,
            count_attempt=True,
        )
        if not ids:
            return 0
        relay = Relay.from_url(settings.smtp_url)
        pause = 60.0 / settings.mail_per_minute
        client = relay.client(
            timeout=settings.connect_timeout + settings.fetch_timeout, ca_bundle=settings.ca_bundle
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            for message_id in ids:
                await self._retry(message_id, lease, f"cannot reach the SMTP relay: {exc}")
            return len(ids)
        try:
            for position, message_id in enumerate(ids):
                if position:
                    await asyncio.sleep(pause)
                try:
                    await self._send_one(client, message_id, lease)
                except (aiosmtplib.SMTPServerDisconnected, OSError) as exc:
                    for rest in ids[position:]:
                        await self._retry(rest, lease, f"the SMTP relay went away: {exc}")
                    break
        finally:
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        return len(ids)

    async def _send_one(self, client: aiosmtplib.SMTP, message_id: int, lease: str) -> None:
        async with self.svc.db.reader() as session:
            row = await session.get(MailMessage, message_id)
            if row is None or row.lease != lease or row.state != MailState.pending:
                return
            subscriber = await session.get(Subscriber, row.subscriber_id)
            actor = await session.get(Actor, subscriber.actor_id) if subscriber else None
            post = await session.get(Post, row.post_id) if row.post_id else None
        if subscriber is None or actor is None:
            return
        if row.kind == MailKind.bulletin and (
            post is None or post.state != PostState.published or subscriber.confirmed_at is None
        ):
            await self._finish(message_id, lease, MailState.failed, "the bulletin is gone")
            return
        name = f"mail-{row.id}-{row.kind}"
        message = (
            compose.confirmation(self.svc, actor, subscriber, row.language, name)
            if row.kind == MailKind.confirm
            else compose.bulletin(self.svc, actor, subscriber, post, name)  # type: ignore[arg-type]
        )
        try:
            await client.send_message(message, sender=self.svc.settings.sender)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = next(iter(exc.recipients), None)
            code = refusal.code if refusal is not None else 550
            await self._refused(message_id, lease, code, str(exc))
            return
        except aiosmtplib.SMTPResponseException as exc:
            await self._refused(message_id, lease, exc.code, exc.message)
            return
        await self._finish(message_id, lease, MailState.sent, None)
        self.sent += 1

    async def _refused(self, message_id: int, lease: str, code: int, text: str) -> None:
        if 400 <= code < 500:
            await self._retry(message_id, lease, f"{code} {text}")
            return
        await self._finish(message_id, lease, MailState.failed, f"{code} {text}", bounce=True)

    async def _retry(self, message_id: int, lease: str, error: str) -> None:
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as session:
            row = await session.get(MailMessage, message_id)
            if row is None or row.lease != lease:
                return
            row.lease = None
            row.locked_until = None
            row.last_error = error[:1000]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = MailState.failed
                return
            row.next_attempt_at = now + min(timedelta(minutes=2**row.attempts), timedelta(hours=6))

    async def _finish(
        self,
        message_id: int,
        lease: str,
        state: MailState,
        error: str | None,
        *,
        bounce: bool = False,
    ) -> None:
        async with self.svc.db.transaction() as session:
            row = await session.get(MailMessage, message_id)
            if row is None or row.lease != lease:
                return
            row.state = state
            row.lease = None
            row.locked_until = None
            row.last_error = error[:1000] if error else None
            if state == MailState.sent:
                row.sent_at = self.svc.clock.now()
            if bounce:
                subscriber = await session.get(Subscriber, row.subscriber_id)
                if subscriber is not None:
                    subscriber.bounces += 1


async def sending_status(session: AsyncSession, post: Post) -> dict[str, int]:
    """How the emails of this edition stand: {state: count}."""
    from sqlalchemy import func  # noqa: PLC0415

    rows = await session.execute(
        select(MailMessage.state, func.count())
        .where(MailMessage.post_id == post.id)
        .group_by(MailMessage.state)
    )
    return {str(state): int(count) for state, count in rows}
