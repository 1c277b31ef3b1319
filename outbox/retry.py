"""The delivery retry policy, as pure functions (Mastodon's schedule is the anchor).

Attempt n waits n**4 + 15 seconds plus up to half that again at random: 16 attempts span about
two and a half days. 4xx other than 401, 408 and 429 (and 501) are permanent: retrying cannot
help. A `Retry-After` from the peer is honoured (capped at a day).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum

MAX_ATTEMPTS = 16
RETRYABLE_4XX = frozenset({401, 408, 429})
MAX_RETRY_AFTER = timedelta(days=1)


class Verdict(StrEnum):
    delivered = "delivered"
    retry = "retry"
    give_up = "give_up"


def verdict(status: int | None, attempts: int, *, refused: bool = False) -> Verdict:
    """What to do after attempt number `attempts` ended with `status` (None: no answer)."""
    if status is not None and 200 <= status < 300:
        return Verdict.delivered
    if refused:
        return Verdict.give_up
    if status is not None and (
        (400 <= status < 500 and status not in RETRYABLE_4XX) or status == 501
    ):
        return Verdict.give_up
    if attempts >= MAX_ATTEMPTS:
        return Verdict.give_up
    return Verdict.retry


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    base = attempts**4 + 15
    jitter = (rng or random).uniform(0, 0.5 * attempts**4)
    return timedelta(seconds=base + jitter)


def next_attempt_at(
    now: datetime, attempts: int, retry_after: float | None, rng: random.Random | None = None
) -> datetime:
    if retry_after is not None and retry_after == retry_after:  # not NaN
        seconds = min(max(retry_after, 1.0), MAX_RETRY_AFTER.total_seconds())
        return now + timedelta(seconds=seconds)
    return now + backoff(attempts, rng)


def total_schedule(attempts: int = MAX_ATTEMPTS) -> timedelta:
    """The span of the schedule without jitter (for documentation and tests)."""
    return sum((timedelta(seconds=n**4 + 15) for n in range(1, attempts)), timedelta())
