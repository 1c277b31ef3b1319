"""The curation policy as a table: boost, hold for a curator, or skip, and why."""

from __future__ import annotations

from dataclasses import replace

import pytest

from network.policy import Action, Candidate, Rules, decide_boost

POST = Candidate(
    is_member=True,
    is_public=True,
    is_unlisted=False,
    is_reply=False,
    replies_to_own_post=False,
    language="fa",
    kind="strike",
    hashtags=("strike",),
    mentions=0,
)
AUTO = Rules(trust="auto")


@pytest.mark.parametrize(
    ("post", "rules", "action", "reason"),
    [
        (POST, AUTO, Action.boost, "trusted member"),
        (POST, Rules(trust="review"), Action.hold, "reviewed by a curator"),
        (replace(POST, is_member=False), AUTO, Action.skip, "not from a member"),
        (replace(POST, is_public=False), AUTO, Action.skip, "not public"),
        (replace(POST, is_public=False, is_unlisted=True), AUTO, Action.hold, "unlisted"),
        (replace(POST, is_reply=True), AUTO, Action.skip, "reply to someone else"),
        (replace(POST, is_reply=True, replies_to_own_post=True), AUTO, Action.hold, "own thread"),
        (replace(POST, mentions=5), AUTO, Action.hold, "mentions 5 accounts"),
        (
            replace(POST, mentions=5),
            Rules(trust="auto", max_mentions=10),
            Action.boost,
            "trusted member",
        ),
        (POST, Rules(trust="auto", member_languages=("ar",)), Action.hold, "outside the member's"),
        (POST, Rules(trust="auto", network_languages=("fa-IR",)), Action.boost, "trusted member"),
        (
            POST,
            Rules(trust="auto", network_languages=("en",)),
            Action.hold,
            "outside the network's",
        ),
        (POST, Rules(trust="auto", network_kinds=("article",)), Action.hold, "kind strike"),
        (POST, Rules(trust="auto", member_kinds=("note",)), Action.hold, "kind strike"),
        (
            POST,
            Rules(trust="auto", required_hashtags=("Solidarity",)),
            Action.hold,
            "required hashtags",
        ),
        (POST, Rules(trust="auto", required_hashtags=("STRIKE",)), Action.boost, "trusted member"),
        (POST, Rules(trust="auto", held_hashtags=("strike",)), Action.hold, "#strike always goes"),
    ],
)
def test_decisions(post: Candidate, rules: Rules, action: Action, reason: str) -> None:
    decision = decide_boost(post, rules)

    assert decision.action == action
    assert reason in decision.reason
