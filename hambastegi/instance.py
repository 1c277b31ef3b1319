"""Start-up checks for one instance's database: schema, base URL, instance actor."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.directory import ensure_instance_actor
from actors.keystore import ensure_proof_key
from actors.models import Actor, ActorKind
from hambastegi.schema import ensure_schema
from runtime.services import Services
from storage.meta import get_meta, set_meta


class StartupError(Exception):
    """The instance cannot start; the message says what to do."""


async def prepare_instance(svc: Services) -> None:
    await ensure_schema(svc.db)
    async with svc.db.transaction() as session:
        # `serve --workers N` starts N processes at once, each preparing the same database.
        await svc.db.hold_until_commit(session, "prepare_instance")
        recorded = await get_meta(session, "base_url")
        if recorded is None:
            await set_meta(session, "base_url", svc.settings.base_url)
        elif recorded != svc.settings.base_url:
            raise StartupError(
                f"HAMBASTEGI_BASE_URL is {svc.settings.base_url} but this database belongs to "
                f"{recorded}; every actor id would change. Use the original URL or a new database."
            )
        await _federation_mode(svc, session)
        await ensure_instance_actor(session, svc.uris, svc.clock, svc.settings.secret_key)
        # Actors made before Object Integrity Proofs get their Ed25519 key now (once).
        for actor in await session.scalars(
            select(Actor).where(Actor.kind != ActorKind.remote, Actor.proof_key_sealed.is_(None))
        ):
            ensure_proof_key(actor, svc.settings.secret_key)


async def _federation_mode(svc: Services, session: AsyncSession) -> None:
    """Allowlist mode gates federation in every process, so it lives in the database: the first
    process started with HAMBASTEGI_ALLOWLIST_MODE=true records it, and every process (a web
    server, a worker, a one-off CLI command without the setting) reads it from there. A process
    that says "on" while the database says "off" (turned off in the desk) refuses to start."""
    stored = await get_meta(session, "allowlist_mode")
    if stored is None and svc.settings.allowlist_mode:
        await set_meta(session, "allowlist_mode", "on")
    elif stored == "off" and svc.settings.allowlist_mode:
        raise StartupError(
            "HAMBASTEGI_ALLOWLIST_MODE is true but this database federates openly (allowlist "
            "mode was turned off in the desk): remove the setting, or turn allowlist mode on "
            "again in the desk (Moderation)."
        )
