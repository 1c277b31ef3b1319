"""HTML we accept and emit, sanitised with nh3 (Ammonia) to an allow-list Mastodon keeps."""

from __future__ import annotations

import html
import re

import nh3

# Mastodon's MASTODON_STRICT list (plus headings, which Mastodon folds into <strong>).
ALLOWED_TAGS = {
    "p",
    "br",
    "span",
    "a",
    "del",
    "s",
    "pre",
    "blockquote",
    "code",
    "b",
    "strong",
    "u",
    "i",
    "em",
    "ul",
    "ol",
    "li",
    "ruby",
    "rt",
    "rp",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir"},
    "a": {"href", "class", "translate"},
    "span": {"class", "translate"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "p": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto", "xmpp", "magnet", "gemini"}
_ALLOWED_CLASS = re.compile(
    r"^(?:h|p|u|dt|e)-[\w-]+$|^(?:mention|hashtag|ellipsis|invisible|quote-inline)$"
)


def _filter_class(element: str, attribute: str, value: str) -> str | None:
    if attribute != "class":
        return value
    kept = [c for c in value.split() if _ALLOWED_CLASS.match(c)]
    return " ".join(kept) or None


def sanitise_html(fragment: str) -> str:
    """Keep only the allow-listed tags, attributes, classes and link schemes."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        attribute_filter=_filter_class,
        strip_comments=True,
    )


def plain_text_to_html(text: str) -> str:
    """Escape plain text and keep its paragraphs and line breaks."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )


def html_to_text(fragment: str) -> str:
    """The visible text of an HTML fragment, for summaries and search."""
    cleaned = nh3.clean(re.sub(r"(?i)<br\s*/?>|</p>|</li>|</h[1-6]>", "\n", fragment), tags=set())
    return html.unescape(re.sub(r"\n{3,}", "\n\n", cleaned)).strip()
