"""RSS 2.0 and Atom feeds (feedgen) for every actor, tag, language and the network, and iCalendar
(icalendar) for events: readers follow us without any platform at all."""

from __future__ import annotations

from datetime import UTC, datetime
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
    language: str | None = None,
) -> bytes:
    # feedgen brings lxml (about 8 MB resident): loaded when the first feed is asked for.
    from feedgen.feed import FeedGenerator  # noqa: PLC0415

    generator = FeedGenerator()
    generator.id(feed_id)
    generator.title(title)
    generator.link(href=link, rel="alternate")
    generator.link(href=self_url, rel="self")
    generator.description(description or title)
    if language:
        generator.language(language)
    generator.updated(max((e.published for e in entries if e.published), default=datetime.now(UTC)))
    for entry in reversed(entries):  # feedgen prepends: keep newest first
        item = generator.add_entry()
        item.id(entry.url)
        item.link(href=entry.url)
        item.title(entry.title or entry.excerpt[:100] or entry.author_name)
        item.author({"name": entry.author_name, "uri": entry.author_url})
        if entry.published:
            item.published(entry.published)
            item.updated(
                entry.post.updated_at if entry.post and entry.post.updated_at else entry.published
            )
        if entry.summary:
            item.summary(entry.summary)
        item.content(entry.body_html, type="html")
    body: bytes = (
        generator.rss_str(pretty=True) if feed_format == "rss" else generator.atom_str(pretty=True)
    )
    return body


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
        event.add("dtstamp", entry.published or datetime.now(UTC))
        event.add(
            "location", ", ".join(p for p in (details.location, details.online_url or "") if p)
        )
        event.add("url", entry.url)
        event.add("description", entry.excerpt)
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
