"""Plain typed factories for arranging tests."""

from __future__ import annotations

from actors.directory import NewActor, create_local_actor
from actors.models import Actor, ActorKind
from content.mediastore import MediaStore
from runtime.services import Services


async def make_actor(
    svc: Services,
    username: str = "union",
    *,
    kind: ActorKind = ActorKind.organization,
    display_name: str = "",
    summary: str = "",
    language: str = "",
    locked: bool = False,
    hide_collections: bool = False,
    safety_profile: bool = False,
) -> Actor:
    async with svc.db.transaction() as session:
        return await create_local_actor(
            session,
            svc.uris,
            svc.clock,
            svc.settings.secret_key,
            MediaStore(svc.settings.media_dir),
            NewActor(
                username=username,
                kind=kind,
                display_name=display_name,
                summary=summary,
                language=language,
                manually_approves_followers=locked,
                hide_collections=hide_collections,
                safety_profile=safety_profile,
            ),
        )
