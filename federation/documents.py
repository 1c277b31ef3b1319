"""Wire JSON → frozen dataclasses for the documents we act on; `InvalidDocument` otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from federation.errors import InvalidDocument
from federation.vocab import ACTOR_TYPES, JsonObject, as_list, get_id

MAX_URI_LENGTH = 2048
MAX_NAME_LENGTH = 255
MAX_SUMMARY_LENGTH = 20_000


@dataclass(frozen=True)
class PublicKeyInfo:
    key_id: str
    owner: str
    pem: str


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    type: str
    username: str
    name: str
    summary: str  # raw HTML from the wire: sanitise before storing or showing
    url: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers: str | None
    following: str | None
    featured: str | None
    key: PublicKeyInfo | None
    icon_url: str | None
    image_url: str | None
    manually_approves_followers: bool
    discoverable: bool
    also_known_as: tuple[str, ...]
    moved_to: str | None
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Activity:
    uri: str
    type: str
    actor_uri: str
    object_uri: str | None
    document: JsonObject

    @property
    def object(self) -> Any:
        return self.document.get("object")

    @property
    def embedded_object(self) -> JsonObject | None:
        value = self.document.get("object")
        return value if isinstance(value, dict) else None


def is_http_uri(value: object) -> bool:
    if not isinstance(value, str) or len(value) > MAX_URI_LENGTH:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _uri(document: JsonObject, name: str, *, required: bool = False) -> str | None:
    value = document.get(name)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("id") or value.get("href")
    if value is None and not required:
        return None
    if not is_http_uri(value):
        if required:
            raise InvalidDocument(f"{name} must be an http(s) URI")
        return None
    return str(value)


def _required_uri(document: JsonObject, name: str) -> str:
    value = _uri(document, name, required=True)
    if value is None:
        raise InvalidDocument(f"{name} is required")
    return value


def _text(document: JsonObject, name: str, limit: int) -> str:
    value = document.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidDocument(f"{name} must be a string")
    return value[:limit]


def _image_url(value: Any) -> str | None:
    for item in as_list(value):
        if isinstance(item, str) and is_http_uri(item):
            return item
        if isinstance(item, dict):
            url = item.get("url")
            if isinstance(url, list):
                url = next((u.get("href") if isinstance(u, dict) else u for u in url), None)
            if isinstance(url, dict):
                url = url.get("href")
            if is_http_uri(url):
                return str(url)
    return None


def parse_public_key(value: Any, actor_uri: str) -> PublicKeyInfo | None:
    """The RSA (or Ed25519) key an actor publishes; the first one owned by the actor."""
    for item in as_list(value):
        if not isinstance(item, dict):
            continue
        key_id, owner, pem = item.get("id"), item.get("owner", actor_uri), item.get("publicKeyPem")
        if is_http_uri(key_id) and owner == actor_uri and isinstance(pem, str) and pem.strip():
            return PublicKeyInfo(key_id=str(key_id), owner=actor_uri, pem=pem)
    return None


def parse_actor(document: JsonObject) -> RemoteActor:
    uri = _required_uri(document, "id")
    actor_type = document.get("type")
    if actor_type not in ACTOR_TYPES:
        raise InvalidDocument(f"{uri} is a {actor_type!r}, not an actor")
    username = document.get("preferredUsername")
    if not isinstance(username, str) or not username.strip() or len(username) > MAX_NAME_LENGTH:
        raise InvalidDocument(f"{uri} has no preferredUsername")
    inbox = _required_uri(document, "inbox")
    endpoints = document.get("endpoints")
    shared = _uri(endpoints, "sharedInbox") if isinstance(endpoints, dict) else None
    fields: list[tuple[str, str]] = []
    for item in as_list(document.get("attachment"))[:20]:
        if isinstance(item, dict) and item.get("type") == "PropertyValue":
            name, value = item.get("name"), item.get("value")
            if isinstance(name, str) and isinstance(value, str):
                fields.append((name[:MAX_NAME_LENGTH], value[:2000]))
    return RemoteActor(
        uri=uri,
        type=str(actor_type),
        username=username.strip(),
        name=_text(document, "name", MAX_NAME_LENGTH),
        summary=_text(document, "summary", MAX_SUMMARY_LENGTH),
        url=_uri(document, "url"),
        inbox=inbox,
        shared_inbox=shared,
        outbox=_uri(document, "outbox"),
        followers=_uri(document, "followers"),
        following=_uri(document, "following"),
        featured=_uri(document, "featured"),
        key=parse_public_key(document.get("publicKey"), uri),
        icon_url=_image_url(document.get("icon")),
        image_url=_image_url(document.get("image")),
        manually_approves_followers=document.get("manuallyApprovesFollowers") is True,
        discoverable=document.get("discoverable") is not False,
        also_known_as=tuple(a for a in as_list(document.get("alsoKnownAs"))[:10] if is_http_uri(a)),
        moved_to=_uri(document, "movedTo"),
        fields=tuple(fields),
    )


def parse_activity(document: JsonObject) -> Activity:
    """The envelope every inbox activity must have: an id, a type and one actor, all URIs."""
    uri = document.get("id")
    if not is_http_uri(uri):
        raise InvalidDocument("activity id must be an http(s) URI")
    activity_type = document.get("type")
    if not isinstance(activity_type, str) or not activity_type or len(activity_type) > 64:
        raise InvalidDocument("activity type must be a string")
    actor = document.get("actor")
    if isinstance(actor, dict):
        actor = actor.get("id")
    if not is_http_uri(actor):
        raise InvalidDocument("activity actor must be a single http(s) URI")
    object_uri = get_id(document.get("object"))
    if object_uri is not None and not is_http_uri(object_uri):
        object_uri = None
    return Activity(
        uri=str(uri),
        type=activity_type,
        actor_uri=str(actor),
        object_uri=object_uri,
        document=document,
    )


OBJECT_TYPES = frozenset(
    {"Note", "Article", "Page", "Event", "Question", "Image", "Video", "Audio"}
)
MAX_CONTENT_LENGTH = 100_000


@dataclass(frozen=True)
class RemoteAttachment:
    url: str
    media_type: str
    name: str


@dataclass(frozen=True)
class RemoteObjectData:
    uri: str
    type: str
    attributed_to: str
    in_reply_to: str | None
    name: str
    summary: str  # raw HTML: sanitise before use
    content: str  # raw HTML: sanitise before use
    language: str
    url: str | None
    sensitive: bool
    published: str | None
    updated: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    mentions: tuple[str, ...]
    hashtags: tuple[str, ...]
    attachments: tuple[RemoteAttachment, ...]


def parse_object(document: JsonObject) -> RemoteObjectData:
    """A post-like object (Note, Article, Page, Event, …) with the fields we keep."""
    uri = _required_uri(document, "id")
    object_type = document.get("type")
    if object_type not in OBJECT_TYPES:
        raise InvalidDocument(f"{uri} is a {object_type!r}, not a post")
    author = _uri(document, "attributedTo")
    if author is None:
        raise InvalidDocument(f"{uri} has no attributedTo")
    content = document.get("content")
    content_map = document.get("contentMap")
    language = ""
    if isinstance(content_map, dict) and content_map:
        language, first = next(iter(content_map.items()))
        if not isinstance(content, str):
            content = first
    if content is not None and not isinstance(content, str):
        raise InvalidDocument(f"{uri} has non-text content")
    if isinstance(content, str) and len(content) > MAX_CONTENT_LENGTH:
        raise InvalidDocument(f"{uri} has more than {MAX_CONTENT_LENGTH} characters of content")
    tags = [t for t in as_list(document.get("tag"))[:100] if isinstance(t, dict)]
    attachments = []
    for item in as_list(document.get("attachment"))[:10]:
        if isinstance(item, dict):
            url = _image_url(item)
            if url:
                attachments.append(
                    RemoteAttachment(
                        url=url,
                        media_type=str(item.get("mediaType") or ""),
                        name=str(item.get("name") or "")[:1500],
                    )
                )
    return RemoteObjectData(
        uri=uri,
        type=str(object_type),
        attributed_to=author,
        in_reply_to=_uri(document, "inReplyTo"),
        name=_text(document, "name", MAX_NAME_LENGTH * 2),
        summary=_text(document, "summary", MAX_SUMMARY_LENGTH),
        content=content or "",
        language=str(language)[:35],
        url=_uri(document, "url"),
        sensitive=document.get("sensitive") is True,
        published=document.get("published") if isinstance(document.get("published"), str) else None,
        updated=document.get("updated") if isinstance(document.get("updated"), str) else None,
        to=tuple(a for a in as_list(document.get("to"))[:1000] if isinstance(a, str)),
        cc=tuple(a for a in as_list(document.get("cc"))[:1000] if isinstance(a, str)),
        mentions=tuple(
            str(t["href"])
            for t in tags
            if t.get("type") == "Mention" and is_http_uri(t.get("href"))
        ),
        hashtags=tuple(
            str(t["name"]).removeprefix("#")
            for t in tags
            if t.get("type") == "Hashtag" and isinstance(t.get("name"), str)
        ),
        attachments=tuple(attachments),
    )
