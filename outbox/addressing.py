"""Visibility → `to`/`cc`, the way Mastodon reads them (docs: spec/activitypub, "Visibility")."""

from __future__ import annotations

from dataclasses import dataclass

from federation.vocab import PUBLIC
from outbox.models import Visibility


@dataclass(frozen=True)
class Audience:
    to: list[str]
    cc: list[str]


def audience(visibility: str, followers_uri: str, mention_uris: list[str]) -> Audience:
    if visibility == Visibility.public:
        return Audience(to=[PUBLIC], cc=[followers_uri, *mention_uris])
    if visibility == Visibility.unlisted:
        return Audience(to=[followers_uri], cc=[PUBLIC, *mention_uris])
    return Audience(to=[followers_uri], cc=list(mention_uris))


def is_listed(visibility: str) -> bool:
    """Shown in the outbox collection and on public pages."""
    return visibility in (Visibility.public, Visibility.unlisted)
