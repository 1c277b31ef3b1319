"""Hashtags in any script: Persian and Arabic letters, digits, `_`, and the zero-width non-joiner
Persian writes inside words. Matching is case-insensitive (casefold), display keeps the author's
spelling."""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"
# A hashtag: `#` not preceded by a word character or `&` (HTML entities), then a word whose
# first character is a letter or `_` (so `#1` stays a number), letters, marks, digits, `_`, ZWNJ.
HASHTAG_RE = re.compile(r"(?<![\w&/])#((?:[^\W\d]|_)[\w\u200c\u200d]{0,99})")
MENTION_RE = re.compile(
    r"(?<![\w/@.])@([A-Za-z0-9_.\-]{1,64})@((?:[A-Za-z0-9\-]+\.)*[A-Za-z0-9\-]+(?::\d{1,5})?)(?![\w@])"
)


def normalise_tag(tag: str) -> str:
    """The key a tag is matched by: NFC, casefolded, without zero-width joiners at the ends."""
    text = unicodedata.normalize("NFC", tag).casefold().strip(ZWNJ + "\u200d")
    return text.removeprefix("#")


def find_hashtags(text: str) -> list[str]:
    """Hashtags in plain text, in order, without duplicates (by normalised form)."""
    seen: dict[str, str] = {}
    for match in HASHTAG_RE.finditer(text):
        tag = match.group(1).rstrip(ZWNJ + "\u200d")
        seen.setdefault(normalise_tag(tag), tag)
    return list(seen.values())


def is_valid_tag(tag: str) -> bool:
    return bool(HASHTAG_RE.fullmatch("#" + tag.removeprefix("#")))
