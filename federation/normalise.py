"""One place where the many compactions of JSON-LD that servers send become one shape.

ActivityStreams 2.0 lets almost every property be a scalar or a list, an object or a bare id, a
plain string or a language map, and the big servers use all of these. `normalise` takes any
JSON object from the wire and returns a copy in the shape the rest of the code reads:

- `type`: one string, the first type we know (`["Note", "Article"]` → `"Note"`), prefixes
  (`as:Note`, the full IRI) removed; a document with no usable type has none;
- `id`, `published`, `updated`: strings or absent;
- addressing (`to`, `cc`, `bto`, `bcc`, `audience`): lists of id strings, every form of the
  public collection (`as:Public`, `Public`, the full IRI) as the full IRI;
- single references (`actor`, `target`, `origin`): one id string from a string, an object or a
  one-item list (a list of several is left as it is, and refused by the checks after);
  `attributedTo`, `inReplyTo` and `quote…`: the first usable id (an `attributedTo` list
  prefers a person to the group it posts in); an
  `inReplyTo` that names something but gives no usable id is kept as `True` (a reply to
  something unknown, never a top-level post);
- `url`: one string: a bare URL, a `Link`'s `href`, or the best of a list (an HTML link first);
  the media types of links to other formats are kept beside it in `urlMediaType`;
- `tag`, `attachment`: lists of objects (a bare URL in `attachment` becomes a `Link`);
- `content`, `summary`, `name`: strings, from the language map when the plain form is missing,
  with the map's first language noted in `contentLanguage`;
- `object`: an embedded object normalised the same way (a one-item list becomes the item).

It never raises: what cannot be read is left out, so the checks after it refuse cleanly.
"""

from __future__ import annotations

from typing import Any

from federation.vocab import ACTOR_TYPES, PUBLIC, PUBLIC_FORMS, JsonObject

AS_PREFIXES = (
    "https://www.w3.org/ns/activitystreams#",
    "http://www.w3.org/ns/activitystreams#",
    "as:",
)
ACTIVITY_TYPES = frozenset(
    {
        "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike", "Flag",
        "Follow", "Ignore", "Invite", "Join", "Leave", "Like", "Listen", "Move", "Offer",
        "Question", "Read", "Reject", "Remove", "TentativeAccept", "TentativeReject", "Travel",
        "Undo", "Update", "View", "EmojiReact",
    }
)  # fmt: skip
OBJECT_TYPES = frozenset(
    {
        "Article", "Audio", "Document", "Event", "Image", "Note", "Page", "Place", "Profile",
        "Relationship", "Tombstone", "Video", "Collection", "OrderedCollection",
        "CollectionPage", "OrderedCollectionPage", "Link", "Mention", "Hashtag", "Emoji",
        "PropertyValue", "Key", "Multikey",
    }
)  # fmt: skip
KNOWN_TYPES = ACTIVITY_TYPES | OBJECT_TYPES | ACTOR_TYPES
ADDRESS_FIELDS = ("to", "cc", "bto", "bcc", "audience")
SINGLE_REFERENCES = ("actor", "target", "origin")
QUOTE_FIELDS = ("quote", "quoteUrl", "quoteUri", "_misskey_quote")
TEXT_FIELDS = ("content", "summary", "name")
TEXT_MAPS = tuple((name, f"{name}Map") for name in TEXT_FIELDS)
LIST_OF_OBJECTS = ("tag", "attachment")
MAX_DEPTH = 4
MAX_ITEMS = 1000


def normalise(document: JsonObject, *, _depth: int = 0) -> JsonObject:
    """A copy of `document` in the one shape described above (never raises)."""
    out: JsonObject = dict(document)
    kind = _type(document.get("type"))
    if kind is None:
        out.pop("type", None)
    else:
        out["type"] = kind
    for name in ("id", "published", "updated"):
        if name in out and not isinstance(out[name], str):
            out.pop(name)
    for name in ADDRESS_FIELDS:
        if name in out:
            out[name] = _addresses(out[name])
    for name in SINGLE_REFERENCES:
        if name in out:
            _set_or_drop(out, name, _single(out[name]))
    if "attributedTo" in out:
        _set_or_drop(out, "attributedTo", _author(out["attributedTo"]))
    if "inReplyTo" in out:
        value = out["inReplyTo"]
        if value in (None, "", [], {}):
            out.pop("inReplyTo")
        else:
            out["inReplyTo"] = _reply_target(value)
    for name in QUOTE_FIELDS:
        if name in out:
            _set_or_drop(out, name, first_id(out[name]) or _href(out[name]))
    if "url" in out:
        url, media_type = _best_url(out["url"])
        _set_or_drop(out, "url", url)
        if media_type:
            out["urlMediaType"] = media_type
    for name in LIST_OF_OBJECTS:
        if name in out:
            out[name] = _objects(out[name], _depth)
    _texts(out)
    if "object" in out:
        out["object"] = _embedded(out["object"], _depth)
    return out


def first_id(value: Any) -> str | None:
    """The first usable id of a reference: a string, an object's `id`, or a list's first."""
    for item in _as_list(value)[:MAX_ITEMS]:
        if isinstance(item, str) and item:
            return item
        if isinstance(item, dict):
            inner = item.get("id")
            if isinstance(inner, str) and inner:
                return inner
    return None


def _single(value: Any) -> Any:
    """One reference: a one-item list is its item; several stay a list, which the checks refuse
    (an activity has one actor: two would let one signer speak for another)."""
    if isinstance(value, list):
        if len(value) != 1:
            return value if value else None
        value = value[0]
    return first_id(value) if isinstance(value, dict | str) else None


def _type(value: Any) -> str | None:
    if isinstance(value, str):  # the usual form, first
        name = _short(value)
        return name if not name or name in KNOWN_TYPES else name[:64]
    names = [_short(v) for v in _as_list(value)[:16] if isinstance(v, str) and v]
    for name in names:
        if name in KNOWN_TYPES:
            return name
    return names[0][:64] if names else None


def _short(name: str) -> str:
    if ":" not in name:  # every prefix has one
        return name
    for prefix in AS_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _addresses(value: Any) -> list[str]:
    seen: dict[str, None] = {}
    for item in _as_list(value)[:MAX_ITEMS]:
        address = item if isinstance(item, str) and item else first_id(item)
        if address is None:
            continue
        seen[PUBLIC if address in PUBLIC_FORMS else address] = None
    return list(seen)


def _author(value: Any) -> str | None:
    """A person before the group it posts in (PeerTube and Lemmy name both)."""
    items = _as_list(value)[:MAX_ITEMS]
    for item in items:
        if isinstance(item, dict) and _type(item.get("type")) not in {"Group", "Organization"}:
            found = first_id(item)
            if found:
                return found
    return first_id(items)


def _reply_target(value: Any) -> str | bool:
    found = first_id(value)
    if found is None and isinstance(value, dict):  # a collection of what it answers
        found = first_id(value.get("items") or value.get("orderedItems"))
    return found if found is not None else True


def _href(value: Any) -> str | None:
    for item in _as_list(value)[:MAX_ITEMS]:
        if isinstance(item, dict) and isinstance(item.get("href"), str):
            return str(item["href"])
    return None


def _best_url(value: Any) -> tuple[str | None, str | None]:
    """The page to link to: an HTML link first, else the first URL; and its media type."""
    candidates: list[tuple[str, str]] = []
    for item in _as_list(value)[:MAX_ITEMS]:
        if isinstance(item, str) and item:
            candidates.append((item, ""))
        elif isinstance(item, dict):
            href = item.get("href")
            if not isinstance(href, str):
                href = item.get("url") if isinstance(item.get("url"), str) else None
            if href:
                media = item.get("mediaType")
                candidates.append((href, media if isinstance(media, str) else ""))
    for href, media in candidates:
        if media.split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}:
            return href, media
    for href, media in candidates:
        if not media:
            return href, None
    return (candidates[0][0], candidates[0][1]) if candidates else (None, None)


def _objects(value: Any, depth: int) -> list[JsonObject]:
    found: list[JsonObject] = []
    for item in _as_list(value)[:MAX_ITEMS]:
        if isinstance(item, dict):
            found.append(normalise(item, _depth=depth + 1) if depth < MAX_DEPTH else item)
        elif isinstance(item, str) and item:
            found.append({"type": "Link", "href": item})
    return found


def _texts(out: JsonObject) -> None:
    for name, map_name in TEXT_MAPS:
        if name not in out and map_name not in out:
            continue
        value = out.get(name)
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str)), None)
        if not isinstance(value, str):
            value = None
        language_map = out.get(map_name)
        if not isinstance(language_map, dict):
            out.pop(map_name, None)
            language_map = {}
        mapped = [
            (k, v) for k, v in language_map.items() if isinstance(k, str) and isinstance(v, str)
        ]
        if value is None and mapped:
            value = mapped[0][1]
        if mapped and name == "content":
            out["contentLanguage"] = mapped[0][0]
        if isinstance(value, str):
            out[name] = value
        else:
            out.pop(name, None)


def _embedded(value: Any, depth: int) -> Any:
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        return normalise(value, _depth=depth + 1) if depth < MAX_DEPTH else value
    if isinstance(value, list):
        return [
            normalise(v, _depth=depth + 1) if isinstance(v, dict) and depth < MAX_DEPTH else v
            for v in value[:MAX_ITEMS]
        ]
    return value


def _set_or_drop(out: JsonObject, name: str, value: Any) -> None:
    if value is None:
        out.pop(name, None)
    else:
        out[name] = value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
