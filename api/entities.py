"""Our rows in Mastodon's entity shapes (Account, Status, MediaAttachment, Notification…), as
clients parse them. An account is always an organisation (or a remote actor): never the
person who holds the token."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, ActorKind, Follow, FollowState
from api.ids import IdKind, encode
from api.models import ApiMedia
from inbox.models import RemoteObject
from outbox.kinds import PostKind
from outbox.models import Attachment, Post, PostRevision, PostState, Visibility
from outbox.render import Related
from runtime.services import Services

VISIBILITY_OUT = {
    Visibility.public: "public",
    Visibility.unlisted: "unlisted",
    Visibility.followers: "private",
}
VISIBILITY_IN = {
    "public": Visibility.public,
    "unlisted": Visibility.unlisted,
    "private": Visibility.followers,
}


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def post_id(post: Post) -> str:
    return encode(IdKind.post, post.created_at, post.id)


def remote_id(obj: RemoteObject) -> str:
    return encode(IdKind.remote, obj.published or obj.received_at, obj.id)


async def account_counts(session: AsyncSession, actor: Actor) -> tuple[int, int, int]:
    """(followers, following, statuses); zero for the social graph under the safety profile
    or hidden collections, as the actor's own pages say."""
    statuses = 0
    if actor.is_local:
        statuses = (
            await session.scalar(
                select(func.count())
                .select_from(Post)
                .where(Post.actor_id == actor.id, Post.state == PostState.published)
            )
            or 0
        )
    if not actor.is_local or actor.hides_collections:
        return 0, 0, statuses
    followers = await session.scalar(
        select(func.count())
        .select_from(Follow)
        .where(Follow.followed_id == actor.id, Follow.state == FollowState.accepted)
    )
    following = await session.scalar(
        select(func.count())
        .select_from(Follow)
        .where(Follow.follower_id == actor.id, Follow.state == FollowState.accepted)
    )
    return followers or 0, following or 0, statuses


def account(actor: Actor, counts: tuple[int, int, int] = (0, 0, 0)) -> dict[str, Any]:
    avatar = actor.icon_url or ""
    return {
        "id": str(actor.id),
        "username": actor.username,
        "acct": actor.username if actor.is_local else f"{actor.username}@{actor.domain}",
        "display_name": actor.display_name or actor.username,
        "locked": actor.manually_approves_followers,
        "bot": False,
        "discoverable": actor.discoverable,
        "indexable": actor.indexable,
        "group": actor.kind == ActorKind.network or actor.as_type == "Group",
        "created_at": iso(actor.published),
        "note": actor.summary or "",
        "url": actor.url or actor.uri,
        "uri": actor.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": actor.image_url or "",
        "header_static": actor.image_url or "",
        "followers_count": counts[0],
        "following_count": counts[1],
        "statuses_count": counts[2],
        "last_status_at": None,
        "hide_collections": actor.hides_collections,
        "noindex": not actor.indexable,
        "emojis": [],
        "roles": [],
        "fields": [
            {"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": None}
            for f in (actor.fields or [])
        ],
        "moved": None,
    }


def credential_account(actor: Actor, counts: tuple[int, int, int], language: str) -> dict[str, Any]:
    from content.html import html_to_text  # noqa: PLC0415 - only verify_credentials needs it

    found = account(actor, counts)
    found["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": actor.language or language,
        "note": html_to_text(actor.summary or ""),
        "fields": found["fields"],
        "follow_requests_count": 0,
        "hide_collections": actor.hides_collections,
        "discoverable": actor.discoverable,
        "indexable": actor.indexable,
    }
    return found


def attachment(
    svc: Services, a: Attachment | ApiMedia, *, description: str | None = None
) -> dict[str, Any]:
    url = svc.uris.media(a.file_name)
    is_api = isinstance(a, ApiMedia)
    size = {
        "width": a.width,
        "height": a.height,
        "size": f"{a.width}x{a.height}",
        "aspect": round(a.width / a.height, 4) if a.height else 1,
    }
    return {
        "id": str(a.id) if is_api else f"p{a.id}",
        "type": "image",
        "url": url,
        "preview_url": url,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {"original": size, "small": size},
        "description": description
        if description is not None
        else (a.description if isinstance(a, ApiMedia) else a.alt_text) or None,
        "blurhash": None,
    }


def _content(post: Post) -> str:
    if post.title and post.kind in (PostKind.article, PostKind.event):
        return f"<p><strong>{escape(post.title)}</strong></p>{post.content_html}"
    return post.content_html


def post_status(
    svc: Services,
    post: Post,
    related: Related,
    author: dict[str, Any],
    *,
    in_reply_to: tuple[str | None, str | None] = (None, None),
    with_source: bool = False,
    application: dict[str, Any] | None = None,
) -> dict[str, Any]:
    is_note = post.kind == PostKind.note
    status: dict[str, Any] = {
        "id": post_id(post),
        "uri": post.uri,
        "url": post.uri,
        "created_at": iso(post.published_at or post.created_at),
        "edited_at": iso(post.updated_at),
        "account": author,
        "content": _content(post),
        "visibility": VISIBILITY_OUT.get(post.visibility, "public"),
        "sensitive": post.sensitive,
        "spoiler_text": post.summary if is_note and post.sensitive else "",
        "media_attachments": [attachment(svc, a) for a in related.attachments],
        "application": application,
        "mentions": [
            {
                "id": "0",
                "username": m.get("handle", "").lstrip("@").split("@")[0],
                "acct": m.get("handle", "").lstrip("@"),
                "url": m.get("profile") or m.get("uri", ""),
            }
            for m in post.mentions
        ],
        "tags": [{"name": t, "url": svc.uris.tag_page(t)} for t in post.hashtags],
        "emojis": [],
        "reblogs_count": related.shares,
        "favourites_count": related.likes,
        "replies_count": 0,
        "in_reply_to_id": in_reply_to[0],
        "in_reply_to_account_id": in_reply_to[1],
        "reblog": None,
        "poll": None,
        "card": None,
        "language": post.language,
        "text": post.source if with_source else None,
        "favourited": False,
        "reblogged": False,
        "muted": False,
        "bookmarked": False,
        "pinned": post.pinned_at is not None,
        "filtered": [],
    }
    return status


def remote_media(svc: Services, obj: RemoteObject) -> list[dict[str, Any]]:
    found = []
    for index, item in enumerate(obj.attachments or []):
        media_type = str(item.get("media_type") or "")
        kind = next((k for k in ("image", "video", "audio") if media_type.startswith(k)), "unknown")
        width, height = item.get("width"), item.get("height")
        meta = (
            {"original": {"width": width, "height": height}}
            if isinstance(width, int) and isinstance(height, int)
            else {}
        )
        found.append(
            {
                "id": f"r{obj.id}-{index}",
                "type": kind,
                "url": item.get("url"),
                "preview_url": item.get("url"),
                "remote_url": item.get("url"),
                "preview_remote_url": None,
                "text_url": None,
                "meta": meta,
                "description": item.get("name") or None,
                "blurhash": item.get("blurhash"),
            }
        )
    return found


def remote_status(
    svc: Services,
    obj: RemoteObject,
    author: dict[str, Any],
    *,
    favourited: bool = False,
    reblogged: bool = False,
) -> dict[str, Any]:
    content = obj.content_html
    if obj.name and obj.type in ("Article", "Page", "Event"):
        content = f"<p><strong>{escape(obj.name)}</strong></p>{content}"
    return {
        "id": remote_id(obj),
        "uri": obj.uri,
        "url": obj.url or obj.uri,
        "created_at": iso(obj.published or obj.received_at),
        "edited_at": iso(obj.updated_at),
        "account": author,
        "content": content,
        "visibility": "public" if obj.is_public else "unlisted",
        "sensitive": obj.sensitive,
        "spoiler_text": obj.summary or "",
        "media_attachments": remote_media(svc, obj),
        "application": None,
        "mentions": [],
        "tags": [
            {"name": t.get("name", ""), "url": svc.uris.tag_page(str(t.get("name", "")))}
            for t in (obj.tags or [])
            if t.get("type") == "Hashtag"
        ],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": obj.language or None,
        "text": None,
        "favourited": favourited,
        "reblogged": reblogged,
        "muted": False,
        "bookmarked": False,
        "filtered": [],
    }


def revision_edit(
    svc: Services, revision: PostRevision | Post, author: dict[str, Any], created: datetime
) -> dict[str, Any]:
    return {
        "content": revision.content_html,
        "spoiler_text": revision.summary
        if isinstance(revision, Post) and revision.sensitive
        else "",
        "sensitive": bool(getattr(revision, "sensitive", False)),
        "created_at": iso(created),
        "account": author,
        "poll": None,
        "media_attachments": [],
        "emojis": [],
    }


def scheduled_status(svc: Services, post: Post, media: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": post_id(post),
        "scheduled_at": iso(post.publish_at),
        "params": {
            "text": post.source,
            "poll": None,
            "media_ids": [m["id"] for m in media] or None,
            "sensitive": post.sensitive,
            "spoiler_text": post.summary if post.sensitive else None,
            "visibility": VISIBILITY_OUT.get(post.visibility, "public"),
            "in_reply_to_id": None,
            "language": post.language,
            "application_id": None,
            "scheduled_at": None,
            "idempotency": None,
            "with_rate_limit": False,
        },
        "media_attachments": media,
    }
