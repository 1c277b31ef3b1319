"""The network's words are written once (`outbox/vocabulary.py`): every value has a label, and
every label is translated in the languages the network's editors write in most."""

from __future__ import annotations

from enum import StrEnum

import pytest
from babel.messages.pofile import read_po

from core.paths import locales_dir
from outbox.vocabulary import (
    CAMPAIGN_STATUS,
    SECTOR_NAMES,
    SECTORS,
    STRIKE_STATUS,
    CampaignStatus,
    Sector,
    StrikeStatus,
)

WORDS: list[tuple[type[StrEnum], dict[str, str]]] = [
    (StrikeStatus, STRIKE_STATUS),
    (CampaignStatus, CAMPAIGN_STATUS),
    (Sector, SECTOR_NAMES),
]


@pytest.mark.parametrize(("values", "labels"), WORDS)
def test_every_value_has_a_label_and_no_label_lacks_a_value(
    values: type[StrEnum], labels: dict[str, str]
) -> None:
    assert set(labels) == {v.value for v in values}
    assert all(label.strip() for label in labels.values())


def test_forms_offer_every_sector_in_order() -> None:
    assert tuple(s.value for s in Sector) == SECTORS


@pytest.mark.parametrize("language", ["fa", "ar", "fr"])
@pytest.mark.parametrize(("values", "labels"), WORDS)
def test_every_label_is_translated(
    language: str, values: type[StrEnum], labels: dict[str, str]
) -> None:
    with (locales_dir() / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    untranslated = [
        label
        for label in labels.values()
        if (message := catalog.get(label)) is None or not message.string
    ]
    assert untranslated == []  # (a word may stay the same: French "agriculture")
