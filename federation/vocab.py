"""ActivityStreams constants, media types and small accessors for wire JSON."""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_FORMS = frozenset({PUBLIC, "as:Public", "Public"})

ACTIVITY_JSON = "application/activity+json"
LD_JSON_AS = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JRD_JSON = "application/jrd+json"

ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})

# Terms Mastodon and friends use beyond the two base contexts (Mastodon's own context entries).
MASTODON_EXTENSIONS: JsonObject = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "blurhash": "toot:blurhash",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
}


def is_activity_json_type(content_type: str | None) -> bool:
    """True for `application/activity+json`, or `application/ld+json` with the AS profile."""
    if not content_type:
        return False
    main, _, params = content_type.partition(";")
    main = main.strip().lower()
    if main == ACTIVITY_JSON:
        return True
    if main == "application/ld+json":
        return "https://www.w3.org/ns/activitystreams" in params
    return False


JSON_MEDIA_TYPES = frozenset({ACTIVITY_JSON, "application/ld+json", "application/json"})
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def accept_weights(accept: str) -> list[tuple[str, float]]:
    """An Accept header's media ranges with their q-values (malformed q counts as 0)."""
    weights = []
    for item in accept.split(",")[:64]:
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if media:
            weights.append((media.lower(), quality))
    return weights


def wants_activity_json(accept: str | None) -> bool:
    """Whether an Accept header asks for ActivityStreams JSON rather than a page.

    JSON (`application/activity+json`, `application/ld+json`, `application/json`, as Mastodon
    serves) wins when it is named with a higher q-value than any HTML type named explicitly;
    `*/*`, `text/*` or no Accept at all get the page."""
    if not accept:
        return False
    weights = accept_weights(accept)
    json_q = max((q for media, q in weights if media in JSON_MEDIA_TYPES), default=0.0)
    html_q = max((q for media, q in weights if media in HTML_MEDIA_TYPES), default=0.0)
    return json_q > 0 and json_q > html_q


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def get_id(value: Any) -> str | None:
    """The id of a reference: a string IRI, or an embedded object's `id`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("id")
        return inner if isinstance(inner, str) else None
    return None


def is_public(addressees: list[Any]) -> bool:
    return any(isinstance(a, str) and a in PUBLIC_FORMS for a in addressees)
