"""Curation policy as a pure function: should the network boost this post, hold it for a curator,
or leave it alone? Every decision carries the reason shown to curators (provenance)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from content.hashtags import normalise_tag


class Action(StrEnum):
    boost = "boost"
    hold = "hold"  # into the queue, for a curator
    skip = "skip"  # never enters the queue


@dataclass(frozen=True)
class Candidate:
    """What the policy needs to know about a post that reached the network."""

    is_member: bool
    is_public: bool  # addressed to as:Public in `to` (listed publicly)
    is_unlisted: bool  # as:Public only in `cc`
    is_reply: bool
    replies_to_own_post: bool  # e.g. a campaign update in the member's own thread
    language: str
    kind: str
    hashtags: tuple[str, ...]
    mentions: int


@dataclass(frozen=True)
class Rules:
    trust: str  # auto | review
    member_languages: tuple[str, ...] = ()
    member_kinds: tuple[str, ...] = ()
    network_languages: tuple[str, ...] = ()
    network_kinds: tuple[str, ...] = ()
    required_hashtags: tuple[str, ...] = ()
    held_hashtags: tuple[str, ...] = ()
    max_mentions: int = 4


REASONS: list[str] = []  # every reason a decision can store, each an English template


def _(template: str) -> str:
    """Declares a reason: marked for the interface catalogs (`make messages`), translated when
    shown."""
    REASONS.append(template)
    return template


@dataclass(frozen=True)
class Decision:
    action: Action
    template: str  # English, with {named} fields: stored filled in, shown translated
    fields: dict[str, str | int] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.template.format(**self.fields)


# Every reason a decision can give (the skips are never stored, so never shown).
HELD_MENTIONS = _("held: mentions {count} accounts (more than {limit})")
HELD_UNLISTED = _("held: unlisted, so never boosted automatically")
HELD_OWN_THREAD = _("held: a reply in the member's own thread")
HELD_HASHTAG = _("held: hashtag #{tag} always goes to review")
HELD_NETWORK_LANGUAGE = _("held: language {language} is outside the network's")
HELD_MEMBER_LANGUAGE = _("held: language {language} is outside the member's")
HELD_NETWORK_KIND = _("held: kind {kind} is outside the network's")
HELD_MEMBER_KIND = _("held: kind {kind} is outside the member's")
HELD_NO_REQUIRED_HASHTAG = _("held: none of the network's required hashtags")
HELD_REVIEWED = _("held: this member's posts are reviewed by a curator")
BOOSTED = _("boosted: trusted member, every rule passed")
_FIELD = re.compile(r"\\\{(\w+)\\\}")
_PATTERNS = [
    (template, re.compile(_FIELD.sub(r"(?P<\1>.+?)", re.escape(template)))) for template in REASONS
]


def explain(rule: str, gettext: Callable[[str], str]) -> str:
    """A stored reason in the reader's language; one we do not know is shown as stored."""
    for template, pattern in _PATTERNS:
        match = pattern.fullmatch(rule)
        if match:
            try:
                return gettext(template).format(**match.groupdict())
            except (KeyError, IndexError, ValueError):  # a translation that lost a field
                return template.format(**match.groupdict())
    return rule


def _language_ok(language: str, allowed: tuple[str, ...]) -> bool:
    if not allowed:
        return True
    primary = language.split("-")[0].lower()
    return any(primary == a.split("-")[0].lower() for a in allowed)


def decide_boost(post: Candidate, rules: Rules) -> Decision:
    if not post.is_member:
        return Decision(Action.skip, "not from a member")
    if not (post.is_public or post.is_unlisted):
        return Decision(Action.skip, "not public")
    if post.is_reply and not post.replies_to_own_post:
        return Decision(Action.skip, "a reply to someone else")
    tags = {normalise_tag(t) for t in post.hashtags}
    if post.mentions > rules.max_mentions:
        return Decision(
            Action.hold, HELD_MENTIONS, {"count": post.mentions, "limit": rules.max_mentions}
        )
    if post.is_unlisted:
        return Decision(Action.hold, HELD_UNLISTED)
    if post.is_reply:
        return Decision(Action.hold, HELD_OWN_THREAD)
    held = tags & {normalise_tag(t) for t in rules.held_hashtags}
    if held:
        return Decision(Action.hold, HELD_HASHTAG, {"tag": sorted(held)[0]})
    if not _language_ok(post.language, rules.network_languages):
        return Decision(
            Action.hold, HELD_NETWORK_LANGUAGE, {"language": post.language or "unknown"}
        )
    if not _language_ok(post.language, rules.member_languages):
        return Decision(Action.hold, HELD_MEMBER_LANGUAGE, {"language": post.language or "unknown"})
    if rules.network_kinds and post.kind not in rules.network_kinds:
        return Decision(Action.hold, HELD_NETWORK_KIND, {"kind": post.kind})
    if rules.member_kinds and post.kind not in rules.member_kinds:
        return Decision(Action.hold, HELD_MEMBER_KIND, {"kind": post.kind})
    required = {normalise_tag(t) for t in rules.required_hashtags}
    if required and not tags & required:
        return Decision(Action.hold, HELD_NO_REQUIRED_HASHTAG)
    if rules.trust != "auto":
        return Decision(Action.hold, HELD_REVIEWED)
    return Decision(Action.boost, BOOSTED)
