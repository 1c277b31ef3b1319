"""Drafts: what an editor is writing, kept by Preview, Save and the autosave, listed and resumed.

Images uploaded with a draft are cleaned of metadata and stored at once (pending media), so no
button ever loses an upload or its alt text; publishing the draft attaches them and discards it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor
from core.ids import new_id
from outbox.compose import KeptImage, PostError
from outbox.kinds import PostKind
from outbox.models import SavedDraft
from outbox.posts import store_image
from runtime.services import Services

MAX_IMAGES = 4
MAX_FIELDS = 64
MAX_FIELD_LENGTH = 200_000


@dataclass(frozen=True)
class MediaChanges:
    """What the form says about the draft's images: new uploads (bytes, alt), new alt text for
    kept ones (by file name), and kept ones to drop."""

    uploads: Sequence[tuple[bytes, str]] = ()
    alt_texts: Mapping[str, str] | None = None
    removed: frozenset[str] = frozenset()


def kept_images(draft: SavedDraft) -> tuple[KeptImage, ...]:
    return tuple(
        KeptImage(m["file"], m["media_type"], int(m["width"]), int(m["height"]), m.get("alt", ""))
        for m in draft.media
    )


def title_of(draft: SavedDraft) -> str:
    """How the drafts list names a draft: its title, or the start of its text."""
    text = draft.fields.get("title") or draft.fields.get("body") or ""
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:80].rsplit(" ", 1)[0] + "…"


async def find_draft(session: AsyncSession, public_id: str) -> SavedDraft | None:
    found: SavedDraft | None = await session.scalar(
        select(SavedDraft).where(SavedDraft.public_id == public_id)
    )
    return found


async def drafts_of(session: AsyncSession, actor_ids: Sequence[int]) -> list[SavedDraft]:
    if not actor_ids:
        return []
    rows = await session.scalars(
        select(SavedDraft)
        .where(SavedDraft.actor_id.in_(actor_ids))
        .order_by(SavedDraft.updated_at.desc())
        .limit(200)
    )
    return list(rows)


async def save_draft(
    svc: Services,
    actor: Actor,
    kind: PostKind,
    fields: Mapping[str, str],
    media: MediaChanges,
    *,
    draft_id: str | None = None,
) -> SavedDraft:
    """Create or update a draft. New uploads are cleaned and stored before the row is written;
    an upload that is not an acceptable image raises PostError and changes nothing."""
    if len(fields) > MAX_FIELDS or any(len(v) > MAX_FIELD_LENGTH for v in fields.values()):
        raise PostError("this draft is too large to keep")
    stored = [store_image(svc, data, alt) for data, alt in media.uploads]
    now = svc.clock.now()
    async with svc.db.transaction() as session:
        draft = await find_draft(session, draft_id) if draft_id else None
        if draft is None:
            draft = SavedDraft(public_id=new_id(), created_at=now, media=[])
            session.add(draft)
        alt_texts = media.alt_texts or {}
        kept = [
            {**m, "alt": alt_texts.get(m["file"], m.get("alt", "")).strip()[:1500]}
            for m in draft.media
            if m["file"] not in media.removed
        ]
        for image in stored:
            same = next((m for m in kept if m["file"] == image.file_name), None)
            if same is not None:  # the autosave already sent this file: keep one, newest alt
                same["alt"] = image.alt or same["alt"]
                continue
            kept.append(
                {
                    "file": image.file_name,
                    "media_type": image.media_type,
                    "width": image.width,
                    "height": image.height,
                    "alt": image.alt,
                }
            )
        if len(kept) > MAX_IMAGES:
            raise PostError(f"a post may carry at most {MAX_IMAGES} images")
        draft.actor_id = actor.id
        draft.kind = kind
        draft.fields = dict(fields)
        draft.media = kept
        draft.updated_at = now
        await session.flush()
        return draft


async def discard_draft(svc: Services, public_id: str) -> None:
    """Forget a draft (its stored images stay: the same file may belong to a post)."""
    async with svc.db.transaction() as session:
        await session.execute(delete(SavedDraft).where(SavedDraft.public_id == public_id))
