"""The delivery retry policy, as a table."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from outbox.retry import MAX_ATTEMPTS, Verdict, backoff, next_attempt_at, total_schedule, verdict

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "attempts", "expected"),
    [
        (202, 1, Verdict.delivered),
        (200, 5, Verdict.delivered),
        (400, 1, Verdict.give_up),
        (403, 1, Verdict.give_up),
        (404, 1, Verdict.give_up),
        (410, 1, Verdict.give_up),
        (422, 1, Verdict.give_up),
        (501, 1, Verdict.give_up),
        (401, 1, Verdict.retry),  # the peer may not have our key yet
        (408, 1, Verdict.retry),
        (429, 1, Verdict.retry),
        (500, 1, Verdict.retry),
        (503, 3, Verdict.retry),
        (None, 2, Verdict.retry),  # no answer
        (503, MAX_ATTEMPTS, Verdict.give_up),
    ],
)
def test_verdicts(status: int | None, attempts: int, expected: Verdict) -> None:
    assert verdict(status, attempts) == expected


def test_a_refused_address_is_never_retried() -> None:
    assert verdict(None, 1, refused=True) == Verdict.give_up


def test_retry_after_is_honoured() -> None:
    assert next_attempt_at(NOW, 1, 120) == NOW + timedelta(seconds=120)


def test_retry_after_is_capped_at_a_day() -> None:
    assert next_attempt_at(NOW, 1, 10 * 86400) == NOW + timedelta(days=1)


def test_backoff_grows_with_attempts_and_jitters_within_half() -> None:
    rng = random.Random(7)
    for attempts in (1, 4, 10):
        delay = backoff(attempts, rng).total_seconds()
        assert attempts**4 + 15 <= delay <= 1.5 * attempts**4 + 15


def test_the_whole_schedule_spans_two_to_three_days() -> None:
    span = total_schedule()

    assert timedelta(days=1.5) <= span <= timedelta(days=3)
