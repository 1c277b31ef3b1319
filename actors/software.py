"""Which software a remote server runs (NodeInfo `software.name`), learnt once a week.

The network actor uses it to send each server one form of boost: FEP-1b12 group-aware software
gets `Announce(Create)`, everyone else (Mastodon and most microblogs) `Announce(object)`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from actors.domains import DomainBlocked, check_domain
from actors.models import InstanceHealth
from actors.resolver import schemes_for
from federation.errors import FetchError
from runtime.services import Services

log = logging.getLogger(__name__)
RECHECK_AFTER = timedelta(days=7)
GROUP_AWARE = frozenset(
    {
        "lemmy",
        "friendica",
        "piefed",
        "mbin",
        "kbin",
        "nodebb",
        "hubzilla",
        "discourse",
        "streams",
        "forte",
    }
)


async def learn_software(svc: Services, domain: str) -> str | None:
    """The server's software name (cached); None when it does not say or cannot be reached."""
    now = svc.clock.now()
    async with svc.db.reader() as session:
        known = await session.get(InstanceHealth, domain)
    if (
        known is not None
        and known.software_checked_at
        and now - known.software_checked_at < RECHECK_AFTER
    ):
        return known.software
    name = await _fetch_software(svc, domain)
    async with svc.db.transaction() as session:
        row = await session.get(InstanceHealth, domain)
        if row is None:
            row = InstanceHealth(domain=domain, failure_days=0)
            session.add(row)
        row.software = name
        row.software_checked_at = now
    return name


async def _fetch_software(svc: Services, domain: str) -> str | None:
    schemes = schemes_for(svc, domain)
    try:
        await check_domain(svc, domain)
    except DomainBlocked:
        return None
    for scheme in schemes:
        try:
            links = await svc.client.fetch_json(f"{scheme}://{domain}/.well-known/nodeinfo")
            hrefs = [
                link.get("href")
                for link in links.get("links") or []
                if isinstance(link, dict)
                and "nodeinfo.diaspora.software/ns/schema/2" in str(link.get("rel"))
            ]
            if not hrefs or not isinstance(hrefs[-1], str):
                return None
            document = await svc.client.fetch_json(hrefs[-1])
            software = document.get("software")
            name = software.get("name") if isinstance(software, dict) else None
            return str(name).lower()[:100] if isinstance(name, str) else None
        except FetchError as exc:
            log.debug("nodeinfo lookup failed domain=%s error=%s", domain, exc)
    return None


async def group_aware_domains(svc: Services, domains: set[str]) -> set[str]:
    async with svc.db.reader() as session:
        rows = await session.execute(
            select(InstanceHealth.domain, InstanceHealth.software).where(
                InstanceHealth.domain.in_(domains)
            )
        )
    return {domain for domain, software in rows if software in GROUP_AWARE}
