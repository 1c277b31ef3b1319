"""Subscribing (double opt-in: nothing is sent but the confirmation until the address
confirms), confirming, unsubscribing (one click, RFC 8058), and, for admins only, export and
deletion. Links carry an HMAC of the subscriber's row and nonce: nothing secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from content.i18n import INTERFACE_LANGUAGES
from mail.models import MailKind, MailMessage, MailState, Subscriber
from outbox.enqueue import notify_after_commit
from runtime.services import Services

MAX_EMAIL = 254
_EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class SubscriptionError(ValueError):
    """A subscription that cannot be made as asked; the message says why."""


def check_email(raw: str) -> str:
    email = raw.strip()
    if len(email) > MAX_EMAIL or not _EMAIL_RE.match(email):
        raise SubscriptionError("Give an email address such as name@example.org.")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_languages(chosen: Sequence[str]) -> list[str]:
    languages = [code for code in dict.fromkeys(chosen) if code in INTERFACE_LANGUAGES]
    if not languages:
        raise SubscriptionError("Choose at least one language.")
    return languages


def token(secret_key: str, subscriber: Subscriber, purpose: str) -> str:
    mac = hmac.new(
        secret_key.encode(),
        f"{purpose}:{subscriber.id}:{subscriber.nonce}".encode(),
        hashlib.sha256,
    )
    return f"{subscriber.id}.{mac.hexdigest()[:40]}"


async def by_token(
    session: AsyncSession, secret_key: str, value: str, purpose: str
) -> Subscriber | None:
    number, _, _mac = value.partition(".")
    if not number.isascii() or not number.isdigit() or len(number) > 15:
        return None
    subscriber = await session.get(Subscriber, int(number))
    if subscriber is None:
        return None
    expected = token(secret_key, subscriber, purpose)
    return subscriber if hmac.compare_digest(expected, value) else None


@dataclass(frozen=True)
class Subscribed:
    subscriber_id: int
    already: bool  # the address had confirmed before


async def subscribe(
    svc: Services, actor: Actor, email: str, languages: Sequence[str]
) -> Subscribed:
    """Record the request and queue a confirmation email (in the first chosen language). The
    answer to the visitor is the same whether or not the address was known."""
    address = check_email(email)
    chosen = check_languages(languages)
    now = svc.clock.now()
    async with svc.db.transaction() as session:
        row = await session.scalar(
            select(Subscriber).where(Subscriber.actor_id == actor.id, Subscriber.email == address)
        )
        already = row is not None and row.confirmed_at is not None
        if row is None:
            row = Subscriber(
                actor_id=actor.id,
                email=address,
                languages=chosen,
                pending_languages=[],
                nonce=secrets.token_hex(8),
                created_at=now,
            )
            session.add(row)
            await session.flush()
        elif already:
            row.pending_languages = chosen
        else:
            row.languages = chosen
        pending = await session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(
                MailMessage.subscriber_id == row.id,
                MailMessage.kind == MailKind.confirm,
                MailMessage.state == MailState.pending,
            )
        )
        if not pending:  # one confirmation waiting at a time: no mail bombing of an address
            session.add(
                MailMessage(
                    subscriber_id=row.id,
                    kind=MailKind.confirm,
                    language=chosen[0],
                    state=MailState.pending,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            notify_after_commit(session, svc, "mail")
        return Subscribed(row.id, already)


async def confirm(svc: Services, value: str) -> Subscriber | None:
    async with svc.db.transaction() as session:
        row = await by_token(session, svc.settings.secret_key, value, "confirm")
        if row is None:
            return None
        if row.pending_languages:
            row.languages = list(row.pending_languages)
            row.pending_languages = []
        if row.confirmed_at is None:
            row.confirmed_at = svc.clock.now()
        return row


async def unsubscribe(svc: Services, value: str) -> bool:
    """Forget the address entirely (its queued mail goes with it)."""
    async with svc.db.transaction() as session:
        row = await by_token(session, svc.settings.secret_key, value, "unsubscribe")
        if row is None:
            return False
        await session.delete(row)
        return True


async def export(session: AsyncSession, actor_id: int | None = None) -> list[dict[str, object]]:
    query = select(Subscriber).order_by(Subscriber.id)
    if actor_id is not None:
        query = query.where(Subscriber.actor_id == actor_id)
    return [
        {
            "email": s.email,
            "languages": s.languages,
            "confirmed": s.confirmed_at is not None,
            "bounces": s.bounces,
            "actor_id": s.actor_id,
        }
        for s in await session.scalars(query)
    ]


async def forget(session: AsyncSession, email: str) -> int:
    """Delete an address from every list (a request to be forgotten)."""
    address = check_email(email)
    result = await session.execute(delete(Subscriber).where(Subscriber.email == address))
    return int(getattr(result, "rowcount", 0) or 0)


async def counts_by_language(session: AsyncSession, actor_id: int) -> dict[str, int]:
    """Confirmed subscribers per language (one address may count in several)."""
    counts: dict[str, int] = {}
    rows = await session.scalars(
        select(Subscriber.languages).where(
            Subscriber.actor_id == actor_id, Subscriber.confirmed_at.is_not(None)
        )
    )
    for languages in rows:
        for code in languages:
            counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))
