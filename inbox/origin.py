"""Origin rules for incoming activities (pure): who may say what about which objects.

The signer must be the activity's actor; the activity id must be on the actor's server; an
embedded object of a Create or Update must be on the actor's server and attributed to it; a
Delete may only name objects on the actor's server; nobody may speak for our own actors.
"""

from __future__ import annotations

from core.uris import authority
from federation.documents import Activity
from federation.vocab import ACTOR_TYPES, as_list, get_id


class OriginError(Exception):
    """The activity claims something its signer cannot vouch for."""


def check_origin(activity: Activity, *, signer_uri: str, our_host: str) -> None:
    actor_host = authority(activity.actor_uri)
    if activity.actor_uri != signer_uri:
        raise OriginError(f"signed by {signer_uri} but the actor is {activity.actor_uri}")
    if actor_host == our_host:
        raise OriginError("an activity for one of our own actors cannot come from elsewhere")
    if authority(activity.uri) != actor_host:
        raise OriginError(f"activity id {activity.uri} is not on the actor's server {actor_host}")
    embedded = activity.embedded_object
    if activity.type in {"Create", "Update"} and embedded is not None:
        object_id = get_id(embedded)
        if object_id is None:
            raise OriginError(f"the {activity.type}d object has no id")
        if authority(object_id) != actor_host:
            raise OriginError(f"object {object_id} is not on the actor's server {actor_host}")
        if embedded.get("type") in ACTOR_TYPES and object_id != activity.actor_uri:
            raise OriginError("an actor can only update itself")
        for author in as_list(embedded.get("attributedTo")):
            author_id = get_id(author)
            if author_id is not None and author_id != activity.actor_uri:
                raise OriginError(f"object attributed to {author_id}, not to the actor")
    if activity.type == "Delete":
        for target in as_list(activity.object):
            target_id = get_id(target)
            if target_id is not None and authority(target_id) != actor_host:
                raise OriginError(f"cannot delete {target_id}: not on the actor's server")


def involved_domains(activity: Activity, key_id: str, relayed_by: str | None = None) -> set[str]:
    """Every server an activity involves: the key's, the actor's, the activity's, the object's
    (and an embedded object's author and target), and the relay's. Domain policy applies to
    each: a blocked server cannot speak through a key, an object or an actor elsewhere."""
    found = {authority(key_id), authority(activity.actor_uri), authority(activity.uri)}
    if relayed_by:
        found.add(authority(relayed_by))
    for target in as_list(activity.object)[:10]:
        target_id = get_id(target)
        if target_id:
            found.add(authority(target_id))
        if isinstance(target, dict):
            for name in ("attributedTo", "actor", "object"):
                for ref in as_list(target.get(name))[:10]:
                    ref_id = get_id(ref)
                    if ref_id:
                        found.add(authority(ref_id))
    found.discard("")
    return found
