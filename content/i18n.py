"""Interface languages: gettext catalogs compiled by Babel, text direction, locale choice."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

RTL_LANGUAGES = frozenset({"fa", "ar", "ckb", "he", "ur", "ps", "sd", "ug", "yi", "dv"})
INTERFACE_LANGUAGES = ("en", "fa", "ar", "ckb", "kmr", "tr", "fr")


def text_direction(language: str | None) -> str:
    """`rtl` for right-to-left languages (by their primary subtag), else `ltr`."""
    if not language:
        return "ltr"
    primary = language.split("-", 1)[0].lower()
    return "rtl" if primary in RTL_LANGUAGES else "ltr"


@functools.lru_cache(maxsize=128)
def babel_locale(language: str) -> Locale:
    """Parsed once per language (parsing reads locale data: about as slow as a page)."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


# The digits of the numbering systems our languages use by default (which one a language
# uses is CLDR's, through Babel: Persian `arabext`, Sorani `arab`, Arabic and the others `latn`).
_DIGITS = {"arabext": "۰۱۲۳۴۵۶۷۸۹", "arab": "٠١٢٣٤٥٦٧٨٩"}


@functools.lru_cache(maxsize=32)
def _digit_table(language: str) -> dict[int, int] | None:
    system = getattr(babel_locale(language), "default_numbering_system", "latn")
    digits = _DIGITS.get(str(system))
    return str.maketrans("0123456789", digits) if digits else None


def local_digits(text: str, language: str) -> str:
    """`text` with ASCII digits written in the language's own digits (Persian ۰–۹)."""
    table = _digit_table(language)
    return text.translate(table) if table else text


@dataclass
class Catalogs:
    """Loaded translations per interface language (`locales/<lang>/LC_MESSAGES/messages.po`)."""

    directory: Path
    _loaded: dict[str, NullTranslations] = field(default_factory=dict)

    def get(self, language: str) -> NullTranslations:
        """The catalog for a language, read from its `.po` file once (no compile step needed);
        English, or a language without a catalog, is the source text."""
        if language not in self._loaded:
            self._loaded[language] = self._read(language)
        return self._loaded[language]

    def _read(self, language: str) -> NullTranslations:
        path = self.directory / language / "LC_MESSAGES" / "messages.po"
        if language == "en" or not path.is_file():
            return NullTranslations()
        with path.open("rb") as source:
            catalog = read_po(source, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        return Translations(fp=compiled, domain="messages")

    def available(self) -> tuple[str, ...]:
        return INTERFACE_LANGUAGES


def choose_language(accept_language: str | None, cookie: str | None, default: str) -> str:
    """The reader's choice (cookie), else the best Accept-Language match, else the default."""
    if cookie in INTERFACE_LANGUAGES:
        return str(cookie)
    candidates: list[tuple[float, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        candidates.append((quality - index * 1e-6, tag.strip().lower()))
    for _q, tag in sorted(candidates, reverse=True):
        if tag in INTERFACE_LANGUAGES:
            return tag
        primary = tag.split("-", 1)[0]
        if primary in INTERFACE_LANGUAGES:
            return primary
    return default if default in INTERFACE_LANGUAGES else "en"
