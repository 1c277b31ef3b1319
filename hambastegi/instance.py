"""Start-up checks for one instance's database: schema, base URL, instance actor."""

from __future__ import annotations

from actors.directory import ensure_instance_actor
from hambastegi.schema import ensure_schema
from runtime.services import Services
from storage.meta import get_meta, set_meta


class StartupError(Exception):
    """The instance cannot start; the message says what to do."""


async def prepare_instance(svc: Services) -> None:
    await ensure_schema(svc.db)
    async with svc.db.transaction() as session:
        recorded = await get_meta(session, "base_url")
        if recorded is None:
            await set_meta(session, "base_url", svc.settings.base_url)
        elif recorded != svc.settings.base_url:
            raise StartupError(
                f"HAMBASTEGI_BASE_URL is {svc.settings.base_url} but this database belongs to "
                f"{recorded}; every actor id would change. Use the original URL or a new database."
            )
        await ensure_instance_actor(session, svc.uris, svc.clock, svc.settings.secret_key)
