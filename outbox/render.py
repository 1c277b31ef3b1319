"""Our posts as ActivityStreams objects, and the activities that carry them.

`note` → Note; `strike` → Note whose HTML shows every field, plus `strike` (our extension);
`article` → Article (Mastodon shows name, summary and a link, so `summary` is a plain teaser);
`event` → Event (its `summary` carries date, time, zone and place); `campaign` → Note plus
`campaign`. Extension terms live in the `hb:` namespace (FEDERATION.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actors.models import Actor
from content.hashtags import normalise_tag
from core.uris import Uris
from federation.vocab import AS_CONTEXT, JsonObject
from outbox.addressing import audience
from outbox.kinds import CampaignDetails, EventDetails, PostKind, StrikeDetails, details_from_json
from outbox.models import Attachment, Post

HB_NAMESPACE = "https://w3id.org/hambastegi/ns#"

OBJECT_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "blurhash": "toot:blurhash",
        "hb": HB_NAMESPACE,
        "kind": "hb:kind",
        "translationOf": {"@id": "hb:translationOf", "@type": "@id"},
        "translations": {"@id": "hb:translations", "@container": "@list"},
        "strike": "hb:strike",
        "campaign": "hb:campaign",
        "timezone": "hb:timezone",
        "country": "hb:country",
        "region": "hb:region",
        "workplace": "hb:workplace",
        "employer": "hb:employer",
        "sector": "hb:sector",
        "workers": "hb:workers",
        "startDate": "hb:startDate",
        "endDate": "hb:endDate",
        "status": "hb:status",
        "demands": {"@id": "hb:demands", "@container": "@list"},
        "sources": {"@id": "hb:sources", "@container": "@list", "@type": "@id"},
        "person": "hb:person",
        "union": "hb:union",
        "arrestedOn": "hb:arrestedOn",
        "releasedOn": "hb:releasedOn",
        "charges": {"@id": "hb:charges", "@container": "@list"},
        "sentence": "hb:sentence",
        "detentionPlace": "hb:detentionPlace",
        "actions": {"@id": "hb:actions", "@container": "@list"},
    },
]


@dataclass(frozen=True)
class Related:
    """What rendering needs beyond the row itself."""

    author: Actor
    attachments: list[Attachment] = field(default_factory=list)
    translation_of_uri: str | None = None
    translations: list[tuple[str, str]] = field(default_factory=list)  # (uri, language)
    likes: int = 0
    shares: int = 0


def _timestamp(post: Post, name: str) -> str | None:
    value = getattr(post, name)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def object_type(kind: str) -> str:
    return {PostKind.article: "Article", PostKind.event: "Event"}.get(PostKind(kind), "Note")


def render_object(
    post: Post, related: Related, uris: Uris, *, with_context: bool = True
) -> JsonObject:
    author = related.author
    mention_uris = [m["uri"] for m in post.mentions]
    addressed = audience(post.visibility, author.followers_uri or "", mention_uris)
    document: JsonObject = {
        "id": post.uri,
        "type": object_type(post.kind),
        "kind": post.kind,
        "attributedTo": author.uri,
        "to": addressed.to,
        "cc": addressed.cc,
        "published": _timestamp(post, "published_at"),
        "url": post.uri,
        "content": post.content_html,
        "contentMap": {post.language: post.content_html},
        "sensitive": post.sensitive,
        "tag": [
            *(
                {"type": "Hashtag", "href": uris.tag_page(normalise_tag(t)), "name": f"#{t}"}
                for t in post.hashtags
            ),
            *(
                {"type": "Mention", "href": m["uri"], "name": f"@{m['handle']}"}
                for m in post.mentions
            ),
        ],
        "attachment": [_image(a, uris) for a in related.attachments],
        "likes": {"id": f"{post.uri}/likes", "type": "Collection", "totalItems": related.likes},
        "shares": {"id": f"{post.uri}/shares", "type": "Collection", "totalItems": related.shares},
    }
    if with_context:
        document = {"@context": OBJECT_CONTEXT, **document}
    if post.updated_at is not None:
        document["updated"] = _timestamp(post, "updated_at")
    if post.in_reply_to_uri:
        document["inReplyTo"] = post.in_reply_to_uri
    if post.summary and post.kind in (PostKind.note, PostKind.strike, PostKind.campaign):
        document["summary"] = post.summary  # a content warning
    if related.translation_of_uri:
        document["translationOf"] = related.translation_of_uri
    if related.translations:
        document["translations"] = [
            {"id": uri, "language": lang} for uri, lang in related.translations
        ]
    details = details_from_json(post.kind, post.details)
    if post.kind == PostKind.article:
        document["name"] = post.title
        document["summary"] = post.summary
        if related.attachments:
            document["image"] = _image(related.attachments[0], uris)
    elif isinstance(details, EventDetails):
        document["name"] = post.title
        document["summary"] = post.summary
        document["startTime"] = details.starts_at
        if details.ends_at:
            document["endTime"] = details.ends_at
        document["timezone"] = details.timezone
        location: JsonObject = {"type": "Place", "name": details.location or details.online_url}
        if details.online_url:
            location["url"] = details.online_url
        document["location"] = location
    elif isinstance(details, StrikeDetails):
        document["strike"] = _strike(details)
    elif isinstance(details, CampaignDetails):
        document["campaign"] = _campaign(details)
    return document


def _image(attachment: Attachment, uris: Uris) -> JsonObject:
    return {
        "type": "Image",
        "mediaType": attachment.media_type,
        "url": uris.media(attachment.file_name),
        "name": attachment.alt_text,
        "width": attachment.width,
        "height": attachment.height,
    }


def _strike(d: StrikeDetails) -> JsonObject:
    return {
        "country": d.country,
        "region": d.region,
        "workplace": d.workplace,
        "employer": d.employer,
        "sector": d.sector,
        "workers": d.workers,
        "startDate": d.start_date,
        "endDate": d.end_date,
        "status": d.status,
        "demands": d.demands,
        "sources": d.sources,
    }


def _campaign(d: CampaignDetails) -> JsonObject:
    return {
        "person": d.person,
        "country": d.country,
        "union": d.union,
        "arrestedOn": d.arrested_on,
        "releasedOn": d.released_on,
        "charges": d.charges,
        "sentence": d.sentence,
        "detentionPlace": d.detention_place,
        "status": d.status,
        "actions": [{"name": a.label, "url": a.url} for a in d.actions],
    }


def render_tombstone(post: Post) -> JsonObject:
    return {
        "@context": AS_CONTEXT,
        "id": post.uri,
        "type": "Tombstone",
        "formerType": object_type(post.kind),
        "deleted": _timestamp(post, "deleted_at"),
    }


def wrap(
    kind: str, actor: Actor, obj: JsonObject, *, activity_uri: str, published: str | None
) -> JsonObject:
    """Create/Update/Delete around an object, addressed as the object is."""
    document: JsonObject = {
        "@context": OBJECT_CONTEXT,
        "id": activity_uri,
        "type": kind,
        "actor": actor.uri,
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": {k: v for k, v in obj.items() if k != "@context"},
    }
    if published:
        document["published"] = published
    return document
