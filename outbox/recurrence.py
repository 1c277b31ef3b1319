"""Events that repeat (the network's monthly meetings): an RFC 5545 `RRULE` read by
python-dateutil, in the event's own time zone (18:00 in Stockholm stays 18:00 across summer
time), with dates left out (`EXDATE`), single occurrences cancelled, or moved to another time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

MAX_OCCURRENCES = 2000  # a rule is read this far at most (over 5 years of weekly meetings)
ALLOWED_FREQUENCIES = {DAILY, WEEKLY, MONTHLY, YEARLY}


class RecurrenceError(ValueError):
    """A rule we cannot use; the message says why."""


@dataclass(frozen=True)
class Occurrence:
    starts: datetime  # aware, in the event's zone
    ends: datetime | None
    cancelled: bool = False
    moved: bool = False

    @property
    def day(self) -> str:
        return self.starts.date().isoformat()


def parse_rule(text: str, first: datetime) -> rrule:
    """The rule for an event starting at `first` (aware); RecurrenceError if unusable."""
    cleaned = text.strip().removeprefix("RRULE:")
    if len(cleaned) > 500:
        raise RecurrenceError("the repeat rule is too long")
    try:
        rule = rrulestr(cleaned, dtstart=first.replace(tzinfo=None), forceset=False)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"not a repeat rule (RFC 5545 RRULE): {cleaned!r}") from exc
    if not isinstance(rule, rrule) or rule._freq not in ALLOWED_FREQUENCIES:
        raise RecurrenceError("repeat daily, weekly, monthly or yearly")
    if next(iter(rule), None) is None:
        raise RecurrenceError("the repeat rule gives no date at all")
    return rule


def occurrences(
    *,
    starts_at: str,
    ends_at: str | None,
    timezone: str,
    recurrence: str,
    exceptions: Sequence[str] = (),
    cancelled: Sequence[str] = (),
    moved: Mapping[str, str] | None = None,
) -> Iterator[Occurrence]:
    """Every occurrence in order (one for an event that does not repeat)."""
    zone = ZoneInfo(timezone)
    first = datetime.fromisoformat(starts_at).astimezone(zone)
    length = datetime.fromisoformat(ends_at).astimezone(zone) - first if ends_at else None
    skipped = set(exceptions)
    cancelled_days = set(cancelled)
    moves = dict(moved or {})
    wall_times = parse_rule(recurrence, first) if recurrence else iter([first.replace(tzinfo=None)])
    for count, wall in enumerate(wall_times):
        if count >= MAX_OCCURRENCES:
            return
        day = wall.date().isoformat()
        if day in skipped:
            continue
        start = wall.replace(tzinfo=zone)
        was_moved = day in moves
        if was_moved:
            start = datetime.fromisoformat(moves[day]).replace(tzinfo=zone)
        yield Occurrence(
            starts=start,
            ends=start + length if length is not None else None,
            cancelled=day in cancelled_days,
            moved=was_moved,
        )


def upcoming(occurrences_: Iterator[Occurrence], now: datetime, limit: int = 6) -> list[Occurrence]:
    """The next `limit` occurrences that have not ended by `now`."""
    found = []
    for occurrence in occurrences_:
        end = occurrence.ends or occurrence.starts + timedelta(hours=2)
        if end <= now:
            continue
        found.append(occurrence)
        if len(found) >= limit:
            break
    return found


def check_dates(values: Sequence[str], name: str) -> list[str]:
    days = []
    for value in values:
        try:
            days.append(date.fromisoformat(value.strip()).isoformat())
        except ValueError as exc:
            raise RecurrenceError(f"{name}: not a date (YYYY-MM-DD): {value!r}") from exc
    return days
