"""Our actors as ActivityPub JSON (what Mastodon reads from an actor document)."""

from __future__ import annotations

from actors.models import Actor
from federation.proofs import DATA_INTEGRITY_CONTEXT, DID_CONTEXT, MULTIKEY_CONTEXT
from federation.vocab import AS_CONTEXT, MASTODON_EXTENSIONS, SECURITY_CONTEXT, JsonObject


def actor_context() -> list[object]:
    # As Fedify orders them: DID Core defines `assertionMethod`; Multikey, the key in it.
    return [
        AS_CONTEXT,
        SECURITY_CONTEXT,
        DATA_INTEGRITY_CONTEXT,
        DID_CONTEXT,
        MULTIKEY_CONTEXT,
        dict(MASTODON_EXTENSIONS),
    ]


def render_public_key(actor: Actor) -> JsonObject:
    return {"id": actor.key_id, "owner": actor.uri, "publicKeyPem": actor.public_key_pem}


def render_actor(actor: Actor, *, minimal: bool = False) -> JsonObject:
    """The actor document; `minimal` is the key-only form served to unsigned fetches in
    authorized-fetch mode (enough for a peer to verify our signatures)."""
    document: JsonObject = {
        "@context": actor_context(),
        "id": actor.uri,
        "type": actor.as_type,
        "preferredUsername": actor.username,
        "inbox": actor.inbox_uri,
        "outbox": actor.outbox_uri,
        "publicKey": render_public_key(actor),
        "endpoints": {"sharedInbox": actor.shared_inbox_uri},
    }
    if actor.proof_key_public:  # FEP-8b32: the key our Object Integrity Proofs are made with
        document["assertionMethod"] = [
            {
                "id": f"{actor.uri}#ed25519-key",
                "type": "Multikey",
                "controller": actor.uri,
                "publicKeyMultibase": actor.proof_key_public,
            }
        ]
    if minimal:
        return document
    document.update(
        {
            "name": actor.display_name,
            "summary": actor.summary,
            "url": actor.url,
            "followers": actor.followers_uri,
            "following": actor.following_uri,
            "featured": actor.featured_uri,
            "manuallyApprovesFollowers": actor.manually_approves_followers,
            "discoverable": actor.discoverable,
            "indexable": actor.indexable,
            "published": actor.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "updated": actor.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "attachment": [
                {"type": "PropertyValue", "name": f["name"], "value": f["value"]}
                for f in actor.fields
            ],
            "alsoKnownAs": list(actor.also_known_as),
            "tag": [],
        }
    )
    translations = {
        lang: t for lang, t in (actor.translations or {}).items() if isinstance(t, dict)
    }
    own = {actor.language: actor} if actor.language else {}
    names = {lang: t["name"] for lang, t in translations.items() if t.get("name")}
    summaries = {lang: t["summary"] for lang, t in translations.items() if t.get("summary")}
    if names:  # AS2 natural-language maps: the name and summary per language
        document["nameMap"] = {**{k: a.display_name for k, a in own.items()}, **names}
    if summaries:
        document["summaryMap"] = {**{k: a.summary for k, a in own.items()}, **summaries}
    if actor.icon_url:
        document["icon"] = {"type": "Image", "mediaType": "image/png", "url": actor.icon_url}
    if actor.image_url:
        document["image"] = {"type": "Image", "url": actor.image_url}
    if actor.moved_to_uri:
        document["movedTo"] = actor.moved_to_uri
    return document
