"""What each kind of post carries beyond text, validated with messages that name the field.

Kinds: `note` (news, statements), `strike` (a structured strike report), `article` (a bulletin,
one per language edition), `event` (meetings, the conference), `campaign` (a worker in prison).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale

from federation.documents import is_http_uri
from outbox.recurrence import Occurrence, RecurrenceError, check_dates, occurrences, parse_rule
from outbox.vocabulary import SECTORS, CampaignStatus, StrikeStatus


class PostKind(StrEnum):
    note = "note"
    strike = "strike"
    article = "article"
    event = "event"
    campaign = "campaign"


# What a post's page offers as a PDF (and the mirror copies): the bulletins, reports, campaigns
# and events people print and hand out; a short note is read on its page (which prints too).
PRINTABLE_KINDS = frozenset({PostKind.article, PostKind.strike, PostKind.campaign, PostKind.event})


class DetailsError(ValueError):
    """A structured field is missing or malformed; the message names it."""


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (from CLDR, through Babel), loaded on first use."""
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(c for c in codes if re.fullmatch(r"[A-Z]{2}", c) and c != "ZZ")


@dataclass(frozen=True)
class StrikeDetails:
    country: str
    region: str
    workplace: str
    employer: str
    sector: str
    workers: int | None
    start_date: str  # ISO date
    end_date: str | None
    status: str
    demands: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EventDetails:
    starts_at: str  # ISO datetime with offset (the first occurrence)
    ends_at: str | None
    timezone: str  # IANA name
    location: str
    online_url: str | None
    recurrence: str = ""  # RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=1TU ("" : once)
    exceptions: list[str] = field(default_factory=list)  # days left out (YYYY-MM-DD)
    cancelled: list[str] = field(default_factory=list)  # days whose meeting is cancelled
    moved: dict[str, str] = field(default_factory=dict)  # day -> new local start
    reminder_hours: int = 0  # a reminder this long before each occurrence (0: none)
    capacity: int = 0  # places (0: no limit); past it, a waiting list
    approval: bool = False  # an editor approves each participant
    participants_public: bool = False  # show who attends (never by default)

    def occurrences(self) -> Iterator[Occurrence]:
        """Every occurrence in order (one for an event that does not repeat)."""
        return occurrences(
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            timezone=self.timezone,
            recurrence=self.recurrence,
            exceptions=self.exceptions,
            cancelled=self.cancelled,
            moved=self.moved,
        )


@dataclass(frozen=True)
class CallToAction:
    label: str
    url: str


@dataclass(frozen=True)
class CampaignDetails:
    person: str
    country: str
    union: str
    arrested_on: str | None
    released_on: str | None
    charges: list[str]
    sentence: str
    detention_place: str
    status: str
    actions: list[CallToAction] = field(default_factory=list)
    contacts: str = ""


Details = StrikeDetails | EventDetails | CampaignDetails


def parse_details(kind: PostKind, raw: Mapping[str, Any]) -> Details | None:
    if kind == PostKind.strike:
        return _strike(raw)
    if kind == PostKind.event:
        return _event(raw)
    if kind == PostKind.campaign:
        return _campaign(raw)
    return None


def details_to_json(details: Details | None) -> dict[str, Any]:
    return asdict(details) if details is not None else {}


def details_from_json(kind: str, data: Mapping[str, Any]) -> Details | None:
    if kind == PostKind.strike:
        return StrikeDetails(**data)
    if kind == PostKind.event:
        return EventDetails(**data)
    if kind == PostKind.campaign:
        actions = [CallToAction(**a) for a in data.get("actions", [])]
        return CampaignDetails(**{"released_on": None, **data, "actions": actions})
    return None


# -- kinds --------------------------------------------------------------------------------------


def _strike(raw: Mapping[str, Any]) -> StrikeDetails:
    start = _date(raw, "start_date", required=True)
    end = _date(raw, "end_date")
    if start and end and end < start:
        raise DetailsError("end_date is before start_date")
    sector = _text(raw, "sector", required=True).lower().replace(" ", "_").replace("-", "_")
    if sector not in SECTORS:
        raise DetailsError(f"sector must be one of: {', '.join(SECTORS)}")
    workers = raw.get("workers")
    if workers is not None and (
        not isinstance(workers, int) or isinstance(workers, bool) or workers < 0
    ):
        raise DetailsError("workers must be a whole number of workers (0 or more)")
    return StrikeDetails(
        country=_country(raw),
        region=_text(raw, "region"),
        workplace=_text(raw, "workplace", required=True),
        employer=_text(raw, "employer"),
        sector=sector,
        workers=workers,
        start_date=start or "",
        end_date=end,
        status=_choice(raw, "status", StrikeStatus, default=StrikeStatus.ongoing),
        demands=_text_list(raw, "demands"),
        sources=_url_list(raw, "sources"),
    )


def _event(raw: Mapping[str, Any]) -> EventDetails:
    zone_name = _text(raw, "timezone", required=True)
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DetailsError(
            f"timezone must be an IANA zone such as Europe/Stockholm, got {zone_name!r}"
        ) from exc
    starts = _datetime(raw, "starts_at", zone, required=True)
    ends = _datetime(raw, "ends_at", zone)
    if starts and ends and ends <= starts:
        raise DetailsError("ends_at must be after starts_at")
    online = raw.get("online_url")
    if online is not None and not is_http_uri(online):
        raise DetailsError("online_url must be an http(s) link")
    location = _text(raw, "location")
    if not location and not online:
        raise DetailsError("an event needs a location or an online_url")
    recurrence = _text(raw, "recurrence").upper()
    try:
        exceptions = check_dates(_text_list(raw, "exceptions"), "exceptions")
        cancelled = check_dates(_text_list(raw, "cancelled"), "cancelled")
        moved_raw = raw.get("moved") or {}
        if not isinstance(moved_raw, Mapping):
            raise DetailsError("moved must map a day (YYYY-MM-DD) to a new start")
        moved = {}
        for day, new_start in moved_raw.items():
            [checked] = check_dates([str(day)], "moved")
            moment = _datetime({"moved": new_start}, "moved", zone, required=True)
            if moment is not None:
                moved[checked] = moment.replace(tzinfo=None).isoformat(timespec="minutes")
        if recurrence and starts is not None:
            parse_rule(recurrence, starts)
    except RecurrenceError as exc:
        raise DetailsError(str(exc)) from exc
    hours = raw.get("reminder_hours") or 0
    if isinstance(hours, str):
        hours = int(hours) if hours.strip().isdigit() else -1
    if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 24 * 14:
        raise DetailsError("reminder_hours must be a whole number of hours, 0 to 336")
    return EventDetails(
        starts_at=starts.isoformat() if starts else "",
        ends_at=ends.isoformat() if ends else None,
        timezone=zone_name,
        location=location,
        online_url=str(online) if online else None,
        recurrence=recurrence,
        exceptions=exceptions,
        cancelled=cancelled,
        moved=moved,
        reminder_hours=hours,
        capacity=_count(raw, "capacity"),
        approval=_flag(raw, "approval"),
        participants_public=_flag(raw, "participants_public"),
    )


def _count(raw: Mapping[str, Any], name: str) -> int:
    value = raw.get(name) or 0
    if isinstance(value, str):
        value = int(value) if value.strip().isdigit() else -1
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1_000_000:
        raise DetailsError(f"{name} must be a whole number (0: no limit)")
    return value


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in {"on", "true", "yes", "1"}
    if not isinstance(value, bool):
        raise DetailsError(f"{name} must be true or false")
    return value


def _campaign(raw: Mapping[str, Any]) -> CampaignDetails:
    actions = []
    for index, item in enumerate(raw.get("actions") or []):
        if (
            not isinstance(item, Mapping)
            or not isinstance(item.get("label"), str)
            or not is_http_uri(item.get("url"))
        ):
            raise DetailsError(f"actions[{index}] needs a label and an http(s) url")
        actions.append(CallToAction(label=str(item["label"]).strip(), url=str(item["url"])))
    return CampaignDetails(
        person=_text(raw, "person", required=True),
        country=_country(raw),
        union=_text(raw, "union"),
        arrested_on=_date(raw, "arrested_on"),
        released_on=_date(raw, "released_on"),
        charges=_text_list(raw, "charges"),
        sentence=_text(raw, "sentence"),
        detention_place=_text(raw, "detention_place"),
        status=_choice(raw, "status", CampaignStatus, default=CampaignStatus.detained),
        actions=actions,
        contacts=_text(raw, "contacts"),
    )


# -- field parsers ------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], name: str, *, required: bool = False, limit: int = 500) -> str:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise DetailsError(f"{name} is required")
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise DetailsError(f"{name} must be text")
    text = str(value).strip()
    if len(text) > limit:
        raise DetailsError(f"{name} is longer than {limit} characters")
    return text


def _text_list(raw: Mapping[str, Any], name: str) -> list[str]:
    value = raw.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DetailsError(f"{name} must be a list of text")
    if len(value) > 50:
        raise DetailsError(f"{name} has more than 50 entries")
    return [v.strip() for v in value if v.strip()]


def _url_list(raw: Mapping[str, Any], name: str) -> list[str]:
    values = _text_list(raw, name)
    for value in values:
        if not is_http_uri(value):
            raise DetailsError(f"{name} must be http(s) links; {value!r} is not")
    return values


def _country(raw: Mapping[str, Any]) -> str:
    code = _text(raw, "country", required=True).upper()
    if code not in country_codes():
        raise DetailsError(f"country must be an ISO 3166 code such as IR, EG or TN, got {code!r}")
    return code


def _choice(raw: Mapping[str, Any], name: str, choices: type[StrEnum], *, default: StrEnum) -> str:
    value = raw.get(name, default.value)
    valid = [c.value for c in choices]
    if value not in valid:
        raise DetailsError(f"{name} must be one of: {', '.join(valid)}")
    return str(value)


def _date(raw: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise DetailsError(f"{name} is required (YYYY-MM-DD)")
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise DetailsError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from exc


def _datetime(
    raw: Mapping[str, Any], name: str, zone: ZoneInfo, *, required: bool = False
) -> datetime | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise DetailsError(f"{name} is required (YYYY-MM-DDTHH:MM)")
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise DetailsError(
            f"{name} must be a date and time as YYYY-MM-DDTHH:MM, got {value!r}"
        ) from exc
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
