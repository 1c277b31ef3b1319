"""An actor's public profile: its name and summary, in its own language and in others. A change
is an Update of the actor to its followers' servers (Mastodon refreshes the profile it shows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from actors.directory import get_local
from actors.models import Actor, ActorKind
from actors.render import render_actor
from content.html import plain_text_to_html
from federation.vocab import PUBLIC
from outbox.compose import PostError, validate_language
from outbox.enqueue import enqueue, new_activity_uri
from outbox.follows import follower_inboxes
from runtime.services import Services

MAX_NAME = 100
MAX_SUMMARY = 2000


@dataclass(frozen=True)
class ProfileText:
    """What to set. `language` None (or the actor's own language) sets the main name and
    summary; another language sets (or, with both empty, removes) that translation."""

    name: str
    summary: str
    language: str | None = None


def _checked(text: ProfileText) -> tuple[str, str]:
    name = " ".join(text.name.split())
    summary = text.summary.strip()
    if len(name) > MAX_NAME:
        raise PostError(f"the name is longer than {MAX_NAME} characters")
    if len(summary) > MAX_SUMMARY:
        raise PostError(f"the description is longer than {MAX_SUMMARY} characters")
    return name, summary


def _apply(actor: Actor, text: ProfileText) -> None:
    name, summary = _checked(text)
    language = validate_language(text.language) if text.language else None
    own = actor.language.split("-")[0].lower() if actor.language else ""
    if language is None or language.split("-")[0].lower() == own:
        if not name:
            raise PostError("the name cannot be empty")
        actor.display_name = name
        actor.summary = plain_text_to_html(summary)
        return
    translations = dict(actor.translations or {})
    if name or summary:
        translations[language] = {"name": name, "summary": plain_text_to_html(summary)}
    else:
        translations.pop(language, None)
    actor.translations = translations


async def set_profile(svc: Services, username: str, texts: Sequence[ProfileText]) -> Actor:
    """Change an organisation's or network's profile text (all or nothing) and send one Update
    to its followers."""
    async with svc.db.transaction() as session:
        actor = await get_local(session, username)
        if actor.kind not in (ActorKind.organization, ActorKind.network):
            raise PostError(f"{actor.handle} has no public profile to edit")
        for text in texts:
            _apply(actor, text)
        actor.updated_at = svc.clock.now()
        await session.flush()
        await send_actor_update(session, svc, actor)
    return actor


async def send_actor_update(session: AsyncSession, svc: Services, actor: Actor) -> None:
    """Update(Actor) to every follower's server: they refresh the profile they show."""
    document = render_actor(actor)
    update = {
        "id": new_activity_uri(svc.uris),
        "type": "Update",
        "actor": actor.uri,
        "to": [PUBLIC],
        "object": {k: v for k, v in document.items() if k != "@context"},
        "@context": document["@context"],
    }
    await enqueue(session, svc, actor, update, await follower_inboxes(session, actor))
