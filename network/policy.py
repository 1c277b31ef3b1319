"""Curation policy as a pure function: should the network boost this post, hold it for a curator,
or leave it alone? Every decision carries the reason shown to curators (provenance)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str


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
            Action.hold, f"held: mentions {post.mentions} accounts (more than {rules.max_mentions})"
        )
    if post.is_unlisted:
        return Decision(Action.hold, "held: unlisted, so never boosted automatically")
    if post.is_reply:
        return Decision(Action.hold, "held: a reply in the member's own thread")
    held = tags & {normalise_tag(t) for t in rules.held_hashtags}
    if held:
        return Decision(Action.hold, f"held: hashtag #{sorted(held)[0]} always goes to review")
    if not _language_ok(post.language, rules.network_languages):
        return Decision(
            Action.hold, f"held: language {post.language or 'unknown'} is outside the network's"
        )
    if not _language_ok(post.language, rules.member_languages):
        return Decision(
            Action.hold, f"held: language {post.language or 'unknown'} is outside the member's"
        )
    if rules.network_kinds and post.kind not in rules.network_kinds:
        return Decision(Action.hold, f"held: kind {post.kind} is outside the network's")
    if rules.member_kinds and post.kind not in rules.member_kinds:
        return Decision(Action.hold, f"held: kind {post.kind} is outside the member's")
    required = {normalise_tag(t) for t in rules.required_hashtags}
    if required and not tags & required:
        return Decision(Action.hold, "held: none of the network's required hashtags")
    if rules.trust != "auto":
        return Decision(Action.hold, "held: this member's posts are reviewed by a curator")
    return Decision(Action.boost, "boosted: trusted member, every rule passed")
