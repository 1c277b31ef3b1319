"""Domain policy: blocked servers (and their subdomains), and allowlist-only federation.

Checked before any outbound fetch and before storing anything. Rules are cached per instance
for a few seconds so a change made from the CLI or the desk takes effect quickly everywhere.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import DomainPolicy, DomainPolicyKind
from core.clock import Clock
from runtime.services import Services
from storage.meta import get_meta

CACHE_SECONDS = 5.0


class DomainBlocked(Exception):
    """The server is blocked, or not allowed in allowlist mode."""


@dataclass(frozen=True)
class DomainRules:
    blocked: frozenset[str]
    allowed: frozenset[str]
    allowlist_mode: bool
    own_host: str
    loaded_at: float

    def is_refused(self, authority: str) -> bool:
        authority = authority.lower()
        if authority == self.own_host:
            return False
        if _matches(authority, self.blocked):
            return True
        return self.allowlist_mode and not _matches(authority, self.allowed)


def _matches(authority: str, domains: frozenset[str]) -> bool:
    if authority in domains:
        return True
    host = authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority
    if host in domains:
        return True
    return any(host.endswith("." + d) for d in domains)


def normalise_domain(text: str) -> str:
    domain = text.strip().lower().removeprefix("https://").removeprefix("http://").strip("/")
    if not domain or "/" in domain or " " in domain or "@" in domain:
        raise ValueError(f"not a domain name: {text!r}")
    return domain


@dataclass
class RulesCache:
    """The rules as last read, and the read under way (a typed component of `Services`)."""

    rules: DomainRules | None = None
    loading: asyncio.Future[DomainRules] | None = None

    def finished(self, done: asyncio.Future[DomainRules]) -> None:
        if self.loading is done:
            self.loading = None


async def rules(svc: Services) -> DomainRules:
    """The current rules, reloaded every few seconds by one request while the others wait for
    it (under load, an expired cache must not send every request to the database)."""
    cache = svc.component(RulesCache)
    cached = cache.rules
    if cached is not None and time.monotonic() - cached.loaded_at < CACHE_SECONDS:
        return cached
    loading = cache.loading
    if loading is None:
        loading = cache.loading = asyncio.ensure_future(_load_rules(svc))
        loading.add_done_callback(lambda done: cache.finished(done))
    return await asyncio.shield(loading)


async def _load_rules(svc: Services) -> DomainRules:
    async with svc.db.reader() as session:
        rows = (await session.execute(select(DomainPolicy.domain, DomainPolicy.policy))).all()
        override = await get_meta(session, "allowlist_mode")  # the desk's switch, if used
    allowlist = svc.settings.allowlist_mode if override is None else override == "on"
    fresh = DomainRules(
        blocked=frozenset(d for d, p in rows if p == DomainPolicyKind.block),
        allowed=frozenset(d for d, p in rows if p == DomainPolicyKind.allow),
        allowlist_mode=allowlist,
        own_host=svc.settings.host,
        loaded_at=time.monotonic(),
    )
    svc.component(RulesCache).rules = fresh
    return fresh


async def check_domain(svc: Services, authority: str) -> None:
    if (await rules(svc)).is_refused(authority):
        raise DomainBlocked(f"{authority} is not allowed to federate with this server")


def forget_rules(svc: Services) -> None:
    cache = svc.component(RulesCache)
    cache.rules = None
    cache.loading = None


async def set_policy(
    session: AsyncSession, clock: Clock, domain: str, policy: DomainPolicyKind, note: str = ""
) -> DomainPolicy:
    name = normalise_domain(domain)
    found = await session.scalar(
        select(DomainPolicy).where(DomainPolicy.domain == name, DomainPolicy.policy == policy)
    )
    if found is not None:
        found.note = note or found.note
        return found
    row = DomainPolicy(domain=name, policy=policy, note=note, created_at=clock.now())
    session.add(row)
    await session.flush()
    return row


async def remove_policy(session: AsyncSession, domain: str, policy: DomainPolicyKind) -> bool:
    result = await session.execute(
        delete(DomainPolicy).where(
            DomainPolicy.domain == normalise_domain(domain), DomainPolicy.policy == policy
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def list_policies(session: AsyncSession) -> list[DomainPolicy]:
    return list(await session.scalars(select(DomainPolicy).order_by(DomainPolicy.domain)))
