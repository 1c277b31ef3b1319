"""From what an editor wrote to what we publish: validated fields, Markdown rendered with
hashtags and resolved mentions, structured fields shown readably, summaries Mastodon can use."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from babel import Locale, UnknownLocaleError

from actors.resolver import ResolveError, resolve_handle
from content.hashtags import is_valid_tag, normalise_tag
from content.html import html_to_text, sanitise_html
from content.markdown import MentionTarget, find_mentions, render_markdown
from outbox import fields_html
from outbox.kinds import (
    CampaignDetails,
    DetailsError,
    EventDetails,
    PostKind,
    StrikeDetails,
    details_to_json,
    parse_details,
)
from outbox.models import Visibility
from runtime.services import Services

MAX_BODY = 100_000
MAX_TITLE = 300
MAX_MENTIONS = 20
TEASER_LENGTH = 500
_LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class PostError(ValueError):
    """A post that cannot be published as given; the message says what to change."""


@dataclass(frozen=True)
class ImageUpload:
    data: bytes
    alt: str


@dataclass(frozen=True)
class KeptImage:
    """An image already cleaned of metadata and stored: a draft's pending media."""

    file_name: str
    media_type: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class Draft:
    kind: PostKind
    body: str
    language: str
    title: str = ""
    summary: str = ""
    sensitive: bool = False
    visibility: Visibility = Visibility.public
    details: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    in_reply_to: str | None = None
    translation_of: str | None = None
    publish_at: datetime | None = None
    images: tuple[ImageUpload | KeptImage, ...] = ()


@dataclass(frozen=True)
class Composed:
    title: str
    summary: str
    sensitive: bool
    source: str  # the Markdown as the editor wrote it (edits start from it)
    content_html: str
    body_html: str
    details: dict[str, Any]
    hashtags: list[str]
    mentions: list[dict[str, str]]
    unresolved_mentions: list[str]


def validate_language(tag: str) -> str:
    text = tag.strip()
    if not _LANGUAGE_RE.match(text):
        raise PostError(f"language must be a BCP 47 tag such as fa, ar, ckb, en or fr, got {tag!r}")
    try:
        Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise PostError(f"unknown language {tag!r}") from exc
    return text


async def compose(svc: Services, draft: Draft) -> Composed:
    language = validate_language(draft.language)
    if len(draft.body) > MAX_BODY:
        raise PostError(f"the text is longer than {MAX_BODY} characters")
    title = draft.title.strip()
    if len(title) > MAX_TITLE:
        raise PostError(f"the title is longer than {MAX_TITLE} characters")
    try:
        details = parse_details(draft.kind, draft.details)
    except DetailsError as exc:
        raise PostError(str(exc)) from exc
    if draft.kind in (PostKind.article, PostKind.event) and not title:
        raise PostError(f"an {draft.kind} needs a title")
    for tag in draft.tags:
        if not is_valid_tag(tag):
            raise PostError(f"not a hashtag: {tag!r}")
    mentions, unresolved = await _resolve_mentions(svc, draft.body)
    rendered = render_markdown(draft.body, tag_url=svc.uris.tag_page, mentions=mentions)
    gettext = svc.catalogs.get(language).gettext
    before, after, kind_tags = "", "", list[str]()
    summary = draft.summary.strip()
    if isinstance(details, StrikeDetails):
        title = title or gettext("Strike at %(workplace)s") % {"workplace": details.workplace}
        before = fields_html.strike_html(details, language, gettext, headline=title)
        after = fields_html.sources_html(details.sources, gettext)
        kind_tags = [
            "strike",
            _tag_of(fields_html.country_name(details.country, "en")),
            details.sector,
        ]
    elif isinstance(details, CampaignDetails):
        before = fields_html.campaign_html(details, language, gettext, today=svc.clock.now().date())
        after = fields_html.campaign_actions_html(details, gettext)
        kind_tags = ["FreeThem", _tag_of(fields_html.country_name(details.country, "en"))]
        title = title or details.person
    elif isinstance(details, EventDetails):
        now = svc.clock.now()
        before = fields_html.event_html(details, language, gettext, now)
        summary = fields_html.event_summary(details, language, gettext, now)
    content = sanitise_html(before + rendered.html + after).strip()
    if draft.kind == PostKind.article:
        summary = _teaser(summary or html_to_text(rendered.html))
    hashtags = _merge_tags(rendered.hashtags, [*draft.tags, *kind_tags])
    return Composed(
        title=title,
        summary=summary,
        sensitive=draft.sensitive
        or (bool(summary) and draft.kind in (PostKind.note, PostKind.strike)),
        source=draft.body,
        content_html=content,
        body_html=sanitise_html(rendered.html).strip(),
        details=details_to_json(details),
        hashtags=hashtags,
        mentions=[
            {"uri": m.actor_uri, "handle": m.handle, "profile": m.profile_url}
            for m in rendered.mentions
        ],
        unresolved_mentions=unresolved,
    )


async def _resolve_mentions(svc: Services, body: str) -> tuple[dict[str, MentionTarget], list[str]]:
    handles = find_mentions(body)
    if len(handles) > MAX_MENTIONS:
        raise PostError(f"a post may mention at most {MAX_MENTIONS} accounts")
    found: dict[str, MentionTarget] = {}
    missing: list[str] = []
    for handle in handles:
        try:
            actor = await resolve_handle(svc, handle)
        except ResolveError:
            missing.append(handle)
            continue
        found[handle] = MentionTarget(
            actor_uri=actor.uri, profile_url=actor.url or actor.uri, handle=handle
        )
    return found, missing


def _tag_of(text: str) -> str:
    return re.sub(r"[^\w]", "", text)


def _merge_tags(*groups: list[str]) -> list[str]:
    merged: dict[str, str] = {}
    for group in groups:
        for tag in group:
            cleaned = tag.strip().removeprefix("#")
            if cleaned:
                merged.setdefault(normalise_tag(cleaned), cleaned)
    return list(merged.values())


def _teaser(text: str) -> str:
    """Plain text of at most ~500 characters, cut at a word boundary, with no "read more" link
    (FEP-b2b8: Mastodon shows name, summary and a link)."""
    flat = " ".join(text.split())
    if len(flat) <= TEASER_LENGTH:
        return flat
    cut = flat[:TEASER_LENGTH].rsplit(" ", 1)[0]
    return cut + "…"
