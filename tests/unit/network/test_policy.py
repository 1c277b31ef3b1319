"""The curation policy as a table: boost, hold for a curator, or skip, and why."""

from __future__ import annotations

from dataclasses import replace

import pytest

from network.policy import (
    BOOSTED,
    HELD_MENTIONS,
    REASONS,
    Action,
    Candidate,
    Rules,
    decide_boost,
    explain,
)

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


# -- reasons are stored in English and shown to curators in their own language ---------------------

FRENCH = {
    HELD_MENTIONS: "retenu : mentionne {count} comptes (plus de {limit})",
    BOOSTED: "partagé : membre de confiance, toutes les règles respectées",
}


def test_a_stored_reason_is_shown_translated_with_its_fields() -> None:
    stored = decide_boost(replace(POST, mentions=7), AUTO).reason

    shown = explain(stored, lambda message: FRENCH.get(message, message))

    assert stored == "held: mentions 7 accounts (more than 4)"
    assert shown == "retenu : mentionne 7 comptes (plus de 4)"


def test_a_reason_with_a_field_in_another_script_is_recognised() -> None:
    persian = replace(POST, hashtags=("اعتصاب",))
    stored = decide_boost(persian, Rules(trust="auto", held_hashtags=("اعتصاب",))).reason

    shown = explain(stored, lambda message: message.replace("held", "HELD"))

    assert shown == "HELD: hashtag #اعتصاب always goes to review"


def test_every_reason_a_decision_can_store_is_known() -> None:
    for template in REASONS:
        filled = template.format(count=5, limit=4, tag="t", language="fa", kind="note")

        assert explain(filled, lambda message: f"[{message}]") == f"[{template}]".format(
            count=5, limit=4, tag="t", language="fa", kind="note"
        )


def test_an_unknown_reason_is_shown_as_stored() -> None:
    assert explain("set by hand", lambda message: "translated") == "set by hand"


def test_a_translation_that_lost_a_field_falls_back_to_english() -> None:
    broken = {HELD_MENTIONS: "retenu : mentionne {comptes} comptes"}

    shown = explain("held: mentions 7 accounts (more than 4)", lambda m: broken.get(m, m))

    assert shown == "held: mentions 7 accounts (more than 4)"
