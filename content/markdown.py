"""Markdown (CommonMark, with autolinks and strikethrough) to sanitised HTML, turning hashtags
and `@user@host` mentions into links. Code spans, code blocks and existing links are left alone:
the rule walks only plain text tokens."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from content.hashtags import HASHTAG_RE, MENTION_RE, ZWNJ, normalise_tag
from content.html import sanitise_html


@dataclass(frozen=True)
class MentionTarget:
    actor_uri: str
    profile_url: str
    handle: str  # user@host, as written


@dataclass
class Rendered:
    html: str
    hashtags: list[str] = field(default_factory=list)  # as written, first occurrence wins
    mentions: list[MentionTarget] = field(default_factory=list)


def find_mentions(source: str) -> list[str]:
    """`user@host` handles mentioned in Markdown source (outside code), without duplicates."""
    text = _without_code(source)
    return list(
        dict.fromkeys(f"{m.group(1)}@{m.group(2).lower()}" for m in MENTION_RE.finditer(text))
    )


def _without_code(source: str) -> str:
    text = re.sub(r"```.*?```", " ", source, flags=re.DOTALL)
    return re.sub(r"`[^`]*`", " ", text)


def render_markdown(
    source: str,
    *,
    tag_url: Callable[[str], str],
    mentions: Mapping[str, MentionTarget] | None = None,
) -> Rendered:
    """Render Markdown; `mentions` maps resolved `user@host` handles to their actors."""
    result = Rendered(html="")
    known = {k.lower(): v for k, v in (mentions or {}).items()}
    parser = MarkdownIt("commonmark", {"linkify": True, "html": False, "typographer": False})
    parser.enable(["linkify", "strikethrough"])

    def social_links(state: StateCore) -> None:
        for block in state.tokens:
            if block.type == "inline" and block.children:
                block.children = _rewrite(block.children, tag_url, known, result)

    parser.core.ruler.push("hambastegi_social", social_links)
    result.html = sanitise_html(parser.render(source))
    return result


def _rewrite(
    tokens: list[Token],
    tag_url: Callable[[str], str],
    mentions: Mapping[str, MentionTarget],
    result: Rendered,
) -> list[Token]:
    out: list[Token] = []
    link_depth = 0
    seen_tags = {normalise_tag(t) for t in result.hashtags}
    for token in tokens:
        if token.type == "link_open":
            link_depth += 1
        elif token.type == "link_close":
            link_depth -= 1
        if token.type != "text" or link_depth > 0:
            out.append(token)
            continue
        out.extend(_split_text(token.content, tag_url, mentions, result, seen_tags))
    return out


def _split_text(
    text: str,
    tag_url: Callable[[str], str],
    mentions: Mapping[str, MentionTarget],
    result: Rendered,
    seen_tags: set[str],
) -> list[Token]:
    pattern = re.compile(f"{HASHTAG_RE.pattern}|{MENTION_RE.pattern}")
    out: list[Token] = []
    position = 0
    for match in pattern.finditer(text):
        tag, user, host = match.group(1), match.group(2), match.group(3)
        if tag is not None:
            tag = tag.rstrip(ZWNJ + "\u200d")
            start, end = match.start(), match.start() + 1 + len(tag)
            key = normalise_tag(tag)
            if key not in seen_tags:
                seen_tags.add(key)
                result.hashtags.append(tag)
            link = _link(tag_url(key), "mention hashtag", "#", tag, rel="tag")
        else:
            target = mentions.get(f"{user}@{host}".lower())
            if target is None:
                continue  # unresolved: stays plain text
            start, end = match.start(), match.end()
            if target not in result.mentions:
                result.mentions.append(target)
            link = _link(target.profile_url, "u-url mention", "@", user, wrap_hcard=True)
        if start > position:
            out.append(_text(text[position:start]))
        out.extend(link)
        position = end
    if position < len(text):
        out.append(_text(text[position:]))
    return out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link(
    href: str,
    css: str,
    prefix: str,
    label: str,
    *,
    rel: str | None = None,
    wrap_hcard: bool = False,
) -> list[Token]:
    opening = Token("link_open", "a", 1)
    opening.attrs = {"href": href, "class": css}
    if rel:
        opening.attrs["rel"] = rel
    span_open = Token("html_inline", "", 0)
    span_open.content = "<span>"
    span_close = Token("html_inline", "", 0)
    span_close.content = "</span>"
    tokens = [
        opening,
        _text(prefix),
        span_open,
        _text(label),
        span_close,
        Token("link_close", "a", -1),
    ]
    if wrap_hcard:
        card_open = Token("html_inline", "", 0)
        card_open.content = '<span class="h-card">'
        tokens = [card_open, *tokens, span_close]
    return tokens
