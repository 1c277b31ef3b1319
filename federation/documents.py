"""Wire JSON → frozen dataclasses for the documents we act on; `InvalidDocument` otherwise."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation.errors import InvalidDocument
from federation.normalise import QUOTE_FIELDS, normalise
from federation.vocab import ACTOR_TYPES, JsonObject, as_list, get_id, is_public

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
    document: JsonObject  # normalised (`federation.normalise`): what handlers read
    original: JsonObject | None = None  # as received: what is forwarded (FEP-1b12) or wrapped

    @property
    def as_received(self) -> JsonObject:
        return self.original if self.original is not None else self.document

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
    document = normalise(document)
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
    """The envelope every inbox activity must have: an id, a type and one actor, all URIs.
    `Activity.document` is the normalised form (`federation.normalise`)."""
    original, document = document, normalise(document)
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
        original=original,
    )


# Post-like objects we keep and show; anything else in a Create is recorded and ignored.
OBJECT_TYPES = frozenset(
    {"Note", "Article", "Page", "Event", "Question", "Image", "Video", "Audio", "Document"}
)
MAX_CONTENT_LENGTH = 100_000
MAX_ATTACHMENTS = 16
MAX_TAGS = 100
HTML_TYPES = frozenset({"", "text/html", "application/xhtml+xml"})


@dataclass(frozen=True)
class RemoteAttachment:
    url: str
    media_type: str  # "" when the sender did not say
    name: str  # the alt text
    sensitive: bool = False
    blurhash: str = ""
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class PollOption:
    name: str
    votes: int | None


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
    is_reply: bool = False  # also true when what it answers could not be named
    quote: str | None = None  # the post it quotes (FEP-044f `quote`, Misskey `_misskey_quote`, …)
    poll: tuple[PollOption, ...] = ()
    poll_multiple: bool = False
    start_time: str | None = None  # an Event's `startTime` (ISO 8601), when it has a valid one

    @property
    def is_public(self) -> bool:
        return is_public([*self.to, *self.cc])


def parse_object(document: JsonObject) -> RemoteObjectData:
    """A post-like object (Note, Article, Page, Event, …) with the fields we keep, from any of
    the shapes `federation.normalise` accepts."""
    document = normalise(document)
    uri = _required_uri(document, "id")
    object_type = document.get("type")
    if object_type not in OBJECT_TYPES:
        raise InvalidDocument(f"{uri} is a {object_type!r}, not a post")
    author = _uri(document, "attributedTo")
    if author is None:
        raise InvalidDocument(f"{uri} has no attributedTo")
    content = document.get("content", "")
    if len(content) > MAX_CONTENT_LENGTH:
        raise InvalidDocument(f"{uri} has more than {MAX_CONTENT_LENGTH} characters of content")
    tags = [t for t in document.get("tag", [])[:MAX_TAGS]]
    reply_to = document.get("inReplyTo")
    options = document.get("oneOf") or document.get("anyOf")
    return RemoteObjectData(
        uri=uri,
        type=str(object_type),
        attributed_to=author,
        in_reply_to=_uri(document, "inReplyTo"),
        is_reply=reply_to is not None,
        name=document.get("name", "")[: MAX_NAME_LENGTH * 2],
        summary=document.get("summary", "")[:MAX_SUMMARY_LENGTH],
        content=content,
        language=_language(document),
        url=_permalink(document, uri),
        sensitive=document.get("sensitive") is True,
        published=document.get("published"),
        updated=document.get("updated"),
        to=tuple(document.get("to", [])),
        cc=tuple(document.get("cc", [])),
        mentions=tuple(
            str(t["href"])
            for t in tags
            if t.get("type") == "Mention" and is_http_uri(t.get("href"))
        ),
        hashtags=_hashtags(tags),
        attachments=tuple(_attachments(document.get("attachment", []))),
        quote=next((str(document[f]) for f in QUOTE_FIELDS if is_http_uri(document.get(f))), None),
        poll=tuple(_poll(options)),
        poll_multiple="anyOf" in document and "oneOf" not in document,
        start_time=_instant(document.get("startTime")),
    )


def _instant(value: object) -> str | None:
    """An ISO 8601 date-time with its offset (as Mobilizon and Gancio send `startTime`)."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.isoformat() if parsed.tzinfo is not None else None


def _language(document: JsonObject) -> str:
    """The language the author gave (`contentMap`'s key); "" when unknown, never a guess."""
    language = document.get("contentLanguage")
    if not isinstance(language, str) or language.lower() in {"und", "unknown"}:
        return ""
    cleaned = language.strip()[:35]
    return cleaned if all(c.isalnum() or c == "-" for c in cleaned) else ""


def _permalink(document: JsonObject, uri: str) -> str | None:
    """`url` when it is a web page on the object's own server, else None (the id serves)."""
    url = document.get("url")
    if not is_http_uri(url) or str(document.get("urlMediaType", "")).lower() not in HTML_TYPES:
        return None
    same_host = urlsplit(str(url)).hostname == urlsplit(uri).hostname
    return str(url) if same_host else None


def _hashtags(tags: list[JsonObject]) -> tuple[str, ...]:
    """Hashtags as written, without `#` or spaces; one per normalised form."""
    seen: dict[str, str] = {}
    for tag in tags:
        name = tag.get("name")
        if tag.get("type") != "Hashtag" or not isinstance(name, str):
            continue
        cleaned = "".join(c for c in name.removeprefix("#") if _is_tag_character(c))
        if cleaned:
            seen.setdefault(cleaned.casefold(), cleaned[:100])
    return tuple(seen.values())


def _is_tag_character(c: str) -> bool:
    return c in "_\u200c" or unicodedata.category(c)[0] in "LMN"


def _attachments(items: list[JsonObject]) -> list[RemoteAttachment]:
    found = []
    for item in items[:MAX_ATTACHMENTS]:
        url, media_type = _media_url(item)
        if url is None:
            continue
        found.append(
            RemoteAttachment(
                url=url,
                media_type=media_type[:100],
                name=(item.get("name") or item.get("summary") or "")[:1500],
                sensitive=item.get("sensitive") is True,
                blurhash=_blurhash(item.get("blurhash")),
                width=_dimension(item.get("width")),
                height=_dimension(item.get("height")),
            )
        )
    return found


def _media_url(item: JsonObject) -> tuple[str | None, str]:
    """Where the media is: `url` (a string, a `Link`, or a list of them) or a `Link`'s `href`;
    the media type from the item, else from the link that gave the URL."""
    given = item.get("mediaType") or item.get("urlMediaType")  # normalise() lifts a Link's
    media_type: str = given if isinstance(given, str) else ""
    for candidate in [*as_list(item.get("url")), item]:
        if isinstance(candidate, str) and is_http_uri(candidate):
            return candidate, media_type
        if isinstance(candidate, dict):
            href = candidate.get("href")
            if is_http_uri(href):
                link_type = candidate.get("mediaType")
                return str(href), media_type or (link_type if isinstance(link_type, str) else "")
    return None, media_type


def _blurhash(value: Any) -> str:
    if isinstance(value, str) and 6 <= len(value) <= 100 and value.isascii():
        return value
    return ""


def _dimension(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if 0 < value < 100_000 else None


def _poll(options: Any) -> list[PollOption]:
    found = []
    for option in as_list(options)[:20]:
        if not isinstance(option, dict):
            continue
        name = option.get("name")
        if not isinstance(name, str):
            continue
        replies = option.get("replies")
        votes = replies.get("totalItems") if isinstance(replies, dict) else None
        valid = isinstance(votes, int) and not isinstance(votes, bool) and votes >= 0
        found.append(PollOption(name=name[:200], votes=votes if valid else None))
    return found
