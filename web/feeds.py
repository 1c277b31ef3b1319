"""RSS 2.0 and Atom feeds (feedgen) for every actor, tag, language and the network, and iCalendar
(icalendar) for events: readers follow us without any platform at all."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from outbox.kinds import EventDetails
from web.reading import Entry

FEED_MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


def render_feed(
    entries: list[Entry],
    *,
    feed_format: str,
    feed_id: str,
    title: str,
    link: str,
    self_url: str,
    description: str,
    quiet_since: datetime,
    language: str | None = None,
    mirrors: tuple[str, ...] = (),
) -> bytes:
    """The feed's and each entry's `updated` (RSS: `lastBuildDate`) come from the posts: the
    newest change, an edit included. `quiet_since` is the time that stands for "no change
    since" when nothing in the feed has a time (an empty tag's feed): when its owner began.
    feedgen's default is the time of rendering, which made the same feed differ on every
    request, and so its ETag: feed readers downloaded it whole each time they polled."""
    # feedgen brings lxml (about 8 MB resident): loaded when the first feed is asked for.
    from feedgen.feed import FeedGenerator  # noqa: PLC0415

    generator = FeedGenerator()
    generator.load_extension("dc")  # dc:language on each entry: posts differ in language
    generator.id(feed_id)
    generator.title(title)
    generator.link(href=link, rel="alternate")
    generator.link(href=self_url, rel="self")
    for mirror in mirrors:  # where to read on if this address is blocked
        generator.link(href=f"{mirror}/", rel="alternate", title="mirror")
    generator.description(description or title)
    if language:
        generator.language(language)
    generator.updated(max((_changed_at(e, quiet_since) for e in entries), default=quiet_since))
    for entry in reversed(entries):  # feedgen prepends: keep newest first
        item = generator.add_entry()
        item.id(entry.url)
        item.link(href=entry.url)
        item.title(entry.title or entry.excerpt[:100] or entry.author_name)
        item.author({"name": entry.author_name, "uri": entry.author_url})
        if entry.published:
            item.published(entry.published)
        item.updated(_changed_at(entry, quiet_since))
        if entry.summary:
            item.summary(entry.summary)
        item.content(entry.body_html, type="html")
        if entry.language:
            item.dc.dc_language(entry.language)
    if feed_format == "rss":
        rss: bytes = generator.rss_str(pretty=True)
        return rss
    return _entry_languages(generator.atom_str(pretty=True), entries)


def _changed_at(entry: Entry, otherwise: datetime) -> datetime:
    """When the entry last changed: its post's last edit, else its publication."""
    edited = entry.post.updated_at if entry.post is not None else None
    return edited or entry.published or otherwise


def _entry_languages(atom: bytes, entries: list[Entry]) -> bytes:
    """Atom says an entry's language with `xml:lang` on the entry (RFC 4287 §2), which feedgen
    does not write: set it on each entry whose post has a language."""
    from lxml import etree  # type: ignore[import-untyped]  # noqa: PLC0415 - feedgen's own

    languages = {e.url: e.language for e in entries}  # "" says "unknown" (XML 1.0 §2.12)
    root = etree.fromstring(atom)
    for element in root.iterfind("{http://www.w3.org/2005/Atom}entry"):
        entry_id = element.findtext("{http://www.w3.org/2005/Atom}id")
        if entry_id in languages:
            element.set("{http://www.w3.org/XML/1998/namespace}lang", languages[entry_id])
    body: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return body


def _repeats(
    calendar: Any, event: Any, details: EventDetails, entry: Entry, zone: ZoneInfo
) -> None:
    """RRULE and EXDATE on the event; a cancelled or moved occurrence as its own VEVENT with
    a RECURRENCE-ID (RFC 5545 §3.8.4.4), as calendar apps expect."""
    from icalendar import Event, vRecur  # noqa: PLC0415

    first = datetime.fromisoformat(details.starts_at).astimezone(zone)
    event.add("rrule", vRecur.from_ical(details.recurrence))
    for day in details.exceptions:
        event.add("exdate", datetime.combine(date.fromisoformat(day), first.timetz()))
    length = (
        datetime.fromisoformat(details.ends_at).astimezone(zone) - first
        if details.ends_at
        else None
    )
    for day in sorted({*details.cancelled, *details.moved}):
        original = datetime.combine(date.fromisoformat(day), first.timetz())
        single = Event()
        single.add("uid", entry.url)
        single.add("recurrence-id", original)
        single.add("summary", entry.title)
        single.add("dtstamp", _changed_at(entry, datetime.now(UTC)))
        starts = (
            datetime.fromisoformat(details.moved[day]).replace(tzinfo=zone)
            if day in details.moved
            else original
        )
        single.add("dtstart", starts)
        if length is not None:
            single.add("dtend", starts + length)
        if day in details.cancelled:
            single.add("status", "CANCELLED")
        calendar.add_component(single)


def render_calendar(entries: list[Entry], *, name: str) -> bytes:
    # icalendar (and dateutil) load when the first calendar is asked for.
    from icalendar import Calendar, Event  # noqa: PLC0415

    calendar = Calendar()
    calendar.add("prodid", "-//Hambastegi//Labour solidarity events//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        details = entry.details
        if not isinstance(details, EventDetails):
            continue
        zone = ZoneInfo(details.timezone)
        event = Event()
        event.add("uid", entry.url)
        event.add("summary", entry.title)
        event.add("dtstart", datetime.fromisoformat(details.starts_at).astimezone(zone))
        if details.ends_at:
            event.add("dtend", datetime.fromisoformat(details.ends_at).astimezone(zone))
        event.add("dtstamp", _changed_at(entry, datetime.now(UTC)))
        event.add(
            "location", ", ".join(p for p in (details.location, details.online_url or "") if p)
        )
        event.add("url", entry.url)
        event.add("description", entry.excerpt)
        calendar.add_component(event)
        if details.recurrence:
            _repeats(calendar, event, details, entry, zone)
    calendar.add_missing_timezones()  # RFC 5545 §3.6.5: a VTIMEZONE for every TZID used
    ical: bytes = calendar.to_ical()
    return ical
