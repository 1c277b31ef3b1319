"""Mints and parses our own IRIs. The only module that knows our URL layout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

USERNAME_RE = re.compile(r"^[a-z0-9_]{1,30}$")
INSTANCE_ACTOR_USERNAME = "instance.actor"


@dataclass(frozen=True)
class Uris:
    base_url: str

    def actor(self, username: str) -> str:
        return f"{self.base_url}/actors/{username}"

    def instance_actor(self) -> str:
        return f"{self.base_url}/actor"

    def key_id(self, actor_uri: str) -> str:
        return f"{actor_uri}#main-key"

    def inbox(self, actor_uri: str) -> str:
        return f"{actor_uri}/inbox"

    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    def outbox(self, actor_uri: str) -> str:
        return f"{actor_uri}/outbox"

    def followers(self, actor_uri: str) -> str:
        return f"{actor_uri}/followers"

    def following(self, actor_uri: str) -> str:
        return f"{actor_uri}/following"

    def featured(self, actor_uri: str) -> str:
        return f"{actor_uri}/featured"

    def profile_page(self, username: str) -> str:
        return f"{self.base_url}/@{username}"

    def object(self, object_id: str) -> str:
        return f"{self.base_url}/objects/{object_id}"

    def activity(self, activity_id: str) -> str:
        return f"{self.base_url}/activities/{activity_id}"

    def tag_page(self, tag: str) -> str:
        return f"{self.base_url}/tags/{quote(tag, safe='')}"

    def media(self, name: str) -> str:
        return f"{self.base_url}/media/{name}"

    def is_ours(self, uri: str) -> bool:
        return same_origin(uri, self.base_url)


def authority(uri: str) -> str:
    """Scheme-less host[:port], lower case; empty for a relative or malformed URI."""
    try:
        return urlsplit(uri).netloc.lower()
    except ValueError:
        return ""


def same_origin(a: str, b: str) -> bool:
    try:
        pa, pb = urlsplit(a), urlsplit(b)
    except ValueError:
        return False
    return bool(pa.netloc) and (pa.scheme, pa.netloc.lower()) == (pb.scheme, pb.netloc.lower())
