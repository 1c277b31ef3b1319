"""Numbers and dates in the reader's own forms: Persian digits and the Solar Hijri date for
Persian readers, Sorani's Arabic-Indic digits, Latin digits where CLDR says so; and no
ambiguous dates such as 01-12-2026."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from content.i18n import babel_locale, local_digits
from web.templating import date_long, date_medium, number, solar_hijri


def context(language: str) -> dict[str, object]:
    return {"locale": babel_locale(language)}


def test_persian_readers_get_persian_digits_and_the_solar_hijri_date() -> None:
    day = date(2026, 12, 6)

    text = date_long(context("fa"), day)

    assert "۱۵ آذر ۱۴۰۵" in text  # 15 Azar 1405, the same day in the Persian calendar
    assert "۲۰۲۶" in text  # and the Gregorian year, in Persian digits
    assert not any(c.isascii() and c.isdigit() for c in text)


def test_the_solar_hijri_calendar_turns_at_nowruz() -> None:
    assert solar_hijri(date(2026, 3, 20)) == "29 اسفند 1404"
    assert solar_hijri(date(2026, 3, 21)) == "1 فروردین 1405"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fa", "۱٬۲۳۴"), ("ckb", "١٬٢٣٤"), ("ar", "1,234"), ("en", "1,234"), ("tr", "1.234")],
)
def test_numbers_are_written_as_each_language_writes_them(language: str, expected: str) -> None:
    assert number(context(language), 1234) == expected


def test_digits_change_and_nothing_else_does() -> None:
    assert local_digits("page 12 of 30", "fa") == "page ۱۲ of ۳۰"
    assert local_digits("page 12 of 30", "en") == "page 12 of 30"


@pytest.mark.parametrize("language", ["en", "fr", "fa", "ar", "tr"])
def test_a_moment_is_never_an_ambiguous_all_digit_date_and_utc_stays_with_it(
    language: str,
) -> None:
    text = date_medium(context(language), datetime(2026, 12, 1, 9, 5, tzinfo=UTC))

    assert "01-12-2026" not in text
    assert "12/01/2026" not in text
    assert "1/12/2026" not in text
    assert "\u00a0UTC" in text  # never an orphan "UTC" on its own line
