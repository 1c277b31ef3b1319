"""Structured fields as readable HTML in the post's own language, so a Mastodon reader (who sees
only `content`) gets the whole strike report or campaign, and an event's `summary` text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from content.i18n import babel_locale
from outbox.kinds import CampaignDetails, EventDetails, StrikeDetails
from outbox.recurrence import upcoming
from outbox.vocabulary import CAMPAIGN_STATUS, SECTOR_NAMES, STRIKE_STATUS

Gettext = Callable[[str], str]


def country_name(code: str, language: str) -> str:
    locale = babel_locale(language)
    return str(locale.territories.get(code) or Locale("en").territories.get(code) or code)


def _row(label: str, value: str) -> str:
    return f"<li><strong>{escape(label)}:</strong> {value}</li>" if value else ""


def strike_html(d: StrikeDetails, language: str, gettext: Gettext, *, headline: str = "") -> str:
    """The report as a Mastodon reader sees it: the headline first (a Note has no title on
    Mastodon), then every field."""
    locale = babel_locale(language)
    place = ", ".join(p for p in (d.region, country_name(d.country, language)) if p)
    since = format_date(date.fromisoformat(d.start_date), "long", locale=locale)
    until = format_date(date.fromisoformat(d.end_date), "long", locale=locale) if d.end_date else ""
    rows = [
        _row(
            gettext("Workplace"), escape(d.workplace + (f" ({d.employer})" if d.employer else ""))
        ),
        _row(gettext("Where"), escape(place)),
        _row(gettext("Sector"), escape(gettext(SECTOR_NAMES.get(d.sector, d.sector)))),
        _row(
            gettext("Workers"),
            format_decimal(d.workers, locale=locale) if d.workers is not None else "",
        ),
        _row(gettext("Since"), escape(since)),
        _row(gettext("Until"), escape(until)),
        _row(gettext("Status"), escape(gettext(STRIKE_STATUS.get(d.status, d.status)))),
    ]
    label = escape(gettext("Strike report"))
    heading = f"{label}: {escape(headline)}" if headline else label
    html = f"<p><strong>{heading}</strong></p><ul>{''.join(rows)}</ul>"
    if d.demands:
        items = "".join(f"<li>{escape(x)}</li>" for x in d.demands)
        html += f"<p><strong>{escape(gettext('Demands'))}:</strong></p><ul>{items}</ul>"
    return html


def sources_html(sources: list[str], gettext: Gettext) -> str:
    if not sources:
        return ""
    links = "".join(f'<li><a href="{escape(u)}">{escape(u)}</a></li>' for u in sources)
    return f"<p><strong>{escape(gettext('Sources'))}:</strong></p><ul>{links}</ul>"


def campaign_html(
    d: CampaignDetails, language: str, gettext: Gettext, *, today: date | None = None
) -> str:
    """The campaign as a Mastodon reader sees it. The arrest date also travels as `arrestedOn`
    so any reader can count the days; the text gives the count on the day it was written."""
    locale = babel_locale(language)
    arrested = (
        format_date(date.fromisoformat(d.arrested_on), "long", locale=locale)
        if d.arrested_on
        else ""
    )
    if d.arrested_on and today is not None:
        end = date.fromisoformat(d.released_on) if d.released_on else today
        days = max(0, (end - date.fromisoformat(d.arrested_on)).days)
        counted = gettext("%(days)s days in prison on %(date)s") % {
            "days": format_decimal(days, locale=locale),
            "date": format_date(end, "long", locale=locale),
        }
        arrested = f"{arrested} ({counted})"
    rows = [
        _row(gettext("Imprisoned worker"), escape(d.person)),
        _row(gettext("Union"), escape(d.union)),
        _row(gettext("Country"), escape(country_name(d.country, language))),
        _row(gettext("Arrested on"), escape(arrested)),
        _row(gettext("Charges"), escape("; ".join(d.charges))),
        _row(gettext("Sentence"), escape(d.sentence)),
        _row(gettext("Held at"), escape(d.detention_place)),
        _row(gettext("Status"), escape(gettext(CAMPAIGN_STATUS.get(d.status, d.status)))),
    ]
    heading = escape(gettext("Free them: a campaign for an imprisoned worker"))
    return f"<p><strong>{heading}</strong></p><ul>{''.join(rows)}</ul>"


def campaign_actions_html(d: CampaignDetails, gettext: Gettext) -> str:
    parts = []
    if d.actions:
        links = "".join(
            f'<li><a href="{escape(a.url)}">{escape(a.label)}</a></li>' for a in d.actions
        )
        parts.append(
            f"<p><strong>{escape(gettext('What you can do'))}:</strong></p><ul>{links}</ul>"
        )
    if d.contacts:
        parts.append(f"<p><strong>{escape(gettext('Contacts'))}:</strong> {escape(d.contacts)}</p>")
    return "".join(parts)


def next_occurrence(d: EventDetails, now: datetime) -> EventDetails | None:
    """The event as its next occurrence (not cancelled) still to come, or None: for a
    repeating event, what a reader wants to know first."""
    found = upcoming(
        d.occurrences(),
        now,
        limit=60,
    )
    for occurrence in found:
        if not occurrence.cancelled:
            return replace(
                d,
                starts_at=occurrence.starts.isoformat(),
                ends_at=occurrence.ends.isoformat() if occurrence.ends else None,
            )
    return None


def event_when(
    d: EventDetails, language: str, gettext: Gettext | None = None, now: datetime | None = None
) -> str:
    """`Tuesday 2 June 2026, 18:00–20:00 (Europe/Stockholm, UTC+02:00)` in the post's language;
    for a repeating event, its next occurrence, said to repeat."""
    if d.recurrence and now is not None and gettext is not None:
        following = next_occurrence(d, now)
        if following is None:
            return gettext("Repeating; no meeting is left to come")
        return gettext("Repeats; next: %(when)s") % {"when": event_when(following, language)}
    locale = babel_locale(language)
    zone = ZoneInfo(d.timezone)
    starts = datetime.fromisoformat(d.starts_at).astimezone(zone)
    text = _day_and_time(starts, zone, locale)
    if d.ends_at:
        ends = datetime.fromisoformat(d.ends_at).astimezone(zone)
        if ends.date() == starts.date():
            text += "–" + format_time(ends, "short", tzinfo=zone, locale=locale)
        else:
            text += " – " + _day_and_time(ends, zone, locale)
    offset = starts.strftime("%z")
    return f"{text} ({d.timezone}, UTC{offset[:3]}:{offset[3:]})"


def _day_and_time(moment: datetime, zone: ZoneInfo, locale: Locale) -> str:
    day = format_date(moment.date(), "full", locale=locale)
    return f"{day}, {format_time(moment, 'short', tzinfo=zone, locale=locale)}"


def event_summary(
    d: EventDetails, language: str, gettext: Gettext, now: datetime | None = None
) -> str:
    """What Mastodon shows of an Event besides its title: when, where, and the link."""
    places = [d.location] if d.location else []
    if d.online_url:
        places.append(f"{gettext('Online')}: {d.online_url}")
    return " · ".join([event_when(d, language, gettext, now), *places])


def event_html(
    d: EventDetails, language: str, gettext: Gettext, now: datetime | None = None
) -> str:
    rows = [
        _row(gettext("When"), escape(event_when(d, language, gettext, now))),
        _row(gettext("Where"), escape(d.location)),
    ]
    if d.online_url:
        link = f'<a href="{escape(d.online_url)}">{escape(d.online_url)}</a>'
        rows.append(_row(gettext("Online"), link))
    return f"<ul>{''.join(rows)}</ul>"
