"""Ids the client API hands out. Mastodon's ids are numbers in strings that sort by time; ours
are the time in milliseconds, a kind digit, and the row id, so one timeline (our posts beside
remote ones, or notifications of four kinds) pages with max_id/min_id as in Mastodon."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum

ROW_DIGITS = 10


class IdKind(IntEnum):
    post = 1  # one of our posts
    remote = 2  # a remote post we keep
    follow = 3  # a follow (request) of ours: a notification
    interaction = 4  # a like or boost of our post: a notification
    reply = 5  # a remote reply to our post: a mention notification


def encode(kind: IdKind, when: datetime, row_id: int) -> str:
    millis = int(when.astimezone(UTC).timestamp() * 1000)
    return f"{millis}{int(kind)}{row_id:0{ROW_DIGITS}d}"


def decode(value: str) -> tuple[IdKind, int] | None:
    """(kind, row id) of an id we made, or None for anything else."""
    if not value.isascii() or not value.isdigit() or len(value) < ROW_DIGITS + 2:
        return None
    try:
        kind = IdKind(int(value[-ROW_DIGITS - 1]))
    except ValueError:
        return None
    return kind, int(value[-ROW_DIGITS:])


def moment(value: str | None) -> datetime | None:
    """The time an id (from max_id, since_id or min_id) stands for."""
    if not value or not value.isascii() or not value.isdigit() or len(value) < ROW_DIGITS + 2:
        return None
    millis = int(value[: -ROW_DIGITS - 1])
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def row_number(value: str) -> int | None:
    """A plain row id from a client (media, accounts), or None if it cannot be one."""
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        return None
    return int(value)
