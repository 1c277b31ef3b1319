"""Repeating events read by python-dateutil in the event's own time zone: the monthly meeting
stays at 18:00 in Stockholm through summer time; dates left out, cancelled or moved."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from typing import Any

import pytest

from outbox.kinds import DetailsError, EventDetails, PostKind, parse_details
from outbox.recurrence import Occurrence, RecurrenceError, occurrences, parse_rule, upcoming


def first_tuesdays(**changes: Any) -> list[Occurrence]:
    return list(
        islice(
            occurrences(
                starts_at="2026-01-06T18:00:00+01:00",
                ends_at="2026-01-06T20:00:00+01:00",
                timezone="Europe/Stockholm",
                recurrence="FREQ=MONTHLY;BYDAY=1TU",
                **changes,
            ),
            6,
        )
    )


def test_the_first_tuesday_of_each_month_stays_at_six_in_stockholm_through_summer_time() -> None:
    found = first_tuesdays()

    assert [o.day for o in found] == [
        "2026-01-06", "2026-02-03", "2026-03-03", "2026-04-07", "2026-05-05", "2026-06-02",
    ]  # fmt: skip
    assert {o.starts.hour for o in found} == {18}
    assert found[0].starts.isoformat().endswith("+01:00")  # winter
    assert found[3].starts.isoformat().endswith("+02:00")  # summer time
    assert all(o.ends is not None and o.ends.hour == 20 for o in found)


def test_dates_left_out_cancelled_and_moved() -> None:
    found = first_tuesdays(
        exceptions=["2026-02-03"],
        cancelled=["2026-03-03"],
        moved={"2026-04-07": "2026-04-08T17:30"},
    )

    days = [o.day for o in found]
    assert "2026-02-03" not in days
    cancelled = next(o for o in found if o.day == "2026-03-03")
    assert cancelled.cancelled
    moved = next(o for o in found if o.moved)
    assert moved.starts.isoformat() == "2026-04-08T17:30:00+02:00"


def test_upcoming_skips_what_has_ended() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    found = upcoming(
        occurrences(
            starts_at="2026-01-06T18:00:00+01:00",
            ends_at=None,
            timezone="Europe/Stockholm",
            recurrence="FREQ=MONTHLY;BYDAY=1TU",
        ),
        now,
        limit=2,
    )
    assert [o.day for o in found] == ["2026-04-07", "2026-05-05"]


@pytest.mark.parametrize(
    "rule", ["FREQ=SECONDLY", "FREQ=MINUTELY", "nonsense", "FREQ=MONTHLY;BYDAY=9XX", "x" * 600]
)
def test_rules_we_cannot_use_are_refused(rule: str) -> None:
    with pytest.raises(RecurrenceError):
        parse_rule(rule, datetime(2026, 1, 6, 18, tzinfo=UTC))


def test_an_event_form_with_a_bad_rule_or_date_says_which_field() -> None:
    base = {
        "starts_at": "2026-01-06T18:00",
        "timezone": "Europe/Stockholm",
        "location": "Online",
    }
    with pytest.raises(DetailsError, match="repeat"):
        parse_details(PostKind.event, {**base, "recurrence": "FREQ=SECONDLY"})
    with pytest.raises(DetailsError, match="cancelled"):
        parse_details(PostKind.event, {**base, "cancelled": ["next week"]})
    with pytest.raises(DetailsError, match="reminder_hours"):
        parse_details(PostKind.event, {**base, "reminder_hours": 1000})
    ok = parse_details(
        PostKind.event,
        {**base, "recurrence": "freq=monthly;byday=1tu", "reminder_hours": "24"},
    )
    assert isinstance(ok, EventDetails)
    assert ok.recurrence == "FREQ=MONTHLY;BYDAY=1TU"
    assert ok.reminder_hours == 24
