"""Jinja2 environment (autoescaped, with gettext) and the page renderer every HTML route uses.

Dates, numbers, country and language names are formatted for the reader's interface language
(Babel/CLDR); every post carries its own `lang` and `dir`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from babel.numbers import format_decimal
from starlette.requests import Request
from starlette.responses import HTMLResponse

from content.hashtags import normalise_tag
from content.i18n import (
    INTERFACE_LANGUAGES,
    Catalogs,
    babel_locale,
    choose_language,
    local_digits,
    text_direction,
)
from network.policy import explain

KIND_LABELS = {
    "note": "News",
    "strike": "Strike report",
    "article": "Bulletin",
    "event": "Event",
    "campaign": "Campaign for an imprisoned worker",
    "reply": "Reply",
    "page": "Page",
    "question": "Poll",
    "video": "Video",
    "audio": "Audio",
    "image": "Image",
    "document": "Document",
}
MEDIA_LABELS = {"image": "Image", "video": "Video", "audio": "Audio", "file": "File"}


def _locale(context: Any) -> Locale:
    locale: Locale = context["locale"]
    return locale


def iso(moment: datetime | date | None) -> str:
    """For `datetime` attributes: whole seconds (the HTML grammar allows at most milliseconds)."""
    if moment is None:
        return ""
    return (
        moment.isoformat(timespec="seconds") if isinstance(moment, datetime) else moment.isoformat()
    )


def _in_locale(locale: Locale, text: str) -> str:
    return local_digits(text, str(locale))


def solar_hijri(day: date) -> str:
    """The Solar Hijri (Persian calendar) date, as Iranian readers write it: `15 آذر 1405`."""
    return str(jdatetime.date.fromgregorian(date=day, locale="fa_IR").strftime("%-d %B %Y"))


def _with_solar_hijri(locale: Locale, day: date, text: str) -> str:
    """Persian readers also get the Solar Hijri date, the one they live by."""
    if locale.language != "fa":
        return text
    return f"{text} ({solar_hijri(day)})"


@jinja2.pass_context
def date_medium(context: Any, moment: datetime | None) -> str:
    if moment is None:
        return ""
    locale = _locale(context)
    utc = moment.astimezone(ZoneInfo("UTC"))
    text = format_datetime(utc, "medium", tzinfo=ZoneInfo("UTC"), locale=locale) + "\u00a0UTC"
    return _in_locale(locale, _with_solar_hijri(locale, utc.date(), text))


@jinja2.pass_context
def date_long(context: Any, value: str | date | None) -> str:
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    locale = _locale(context)
    return _in_locale(
        locale, _with_solar_hijri(locale, day, format_date(day, "long", locale=locale))
    )


def _profile_text(actor: Any, language: str, part: str) -> str:
    """An actor's name or summary in the reader's language, if its editors wrote one."""
    translations = getattr(actor, "translations", None) or {}
    found = translations.get(language) or {}
    return str(found.get(part) or "") if isinstance(found, dict) else ""


@jinja2.pass_context
def number(context: Any, value: int | None) -> str:
    if value is None:
        return ""
    locale = _locale(context)
    return _in_locale(locale, format_decimal(value, locale=locale, numbering_system="default"))


@jinja2.pass_context
def event_time(context: Any, iso: str, zone_name: str) -> str:
    """In the event's own time zone (the page script adds the reader's local time)."""
    zone = ZoneInfo(zone_name)
    moment = datetime.fromisoformat(iso).astimezone(zone)
    locale = _locale(context)
    day = format_date(moment.date(), "full", locale=locale)
    time = format_time(moment, "short", tzinfo=zone, locale=locale)  # no seconds
    joined = str(locale.datetime_formats["medium"]).replace("'", "").format(time, day)
    joined = _with_solar_hijri(locale, moment.date(), joined)
    return _in_locale(locale, f"{joined} ({get_timezone_name(moment, 'long', locale=locale)})")


def _local_ngettext(translations: Any, language: str) -> Any:
    """`ngettext` whose count is written in the language's own digits ("۳ عضو")."""

    def ngettext(singular: str, plural: str, n: int) -> str:
        pattern: str = translations.ngettext(singular, plural, n)
        return pattern.replace("%(num)d", local_digits(str(n), language).replace("%", "%%"))

    return ngettext


@dataclass
class Pages:
    environment: jinja2.Environment
    catalogs: Catalogs
    default_language: str
    instance_name: str
    host: str
    mirrors: tuple[str, ...] = ()  # copies of the site, for readers where it is blocked
    onion: str = ""

    @classmethod
    def create(
        cls,
        template_dir: Path,
        locale_dir: Path,
        *,
        default_language: str,
        instance_name: str,
        host: str,
        mirrors: tuple[str, ...] = (),
        onion: str = "",
    ) -> Pages:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(template_dir)),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates are part of the release: no stat() per render
        )
        env.filters.update(
            {
                "dir": text_direction,
                "date_medium": date_medium,
                "date_long": date_long,
                "number": number,
                "event_time": event_time,
                "iso": iso,
                "normalise_tag": normalise_tag,
            }
        )
        return cls(env, Catalogs(locale_dir), default_language, instance_name, host, mirrors, onion)

    def language_of(self, request: Request) -> str:
        return choose_language(
            request.headers.get("accept-language"),
            request.cookies.get("lang"),
            self.default_language,
        )

    def gettext(self, request: Request) -> Callable[[str], str]:
        """The reader's interface language, for strings made in Python (labels, titles)."""
        translate: Callable[[str], str] = self.catalogs.get(self.language_of(request)).gettext
        return translate

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        language = self.language_of(request)
        translations = self.catalogs.get(language)
        locale = babel_locale(language)
        # Rendering is synchronous, so installing the reader's catalog just before it is safe.
        install = self.environment.install_gettext_callables  # type: ignore[attr-defined]
        install(translations.gettext, _local_ngettext(translations, language), newstyle=True)
        page = self.environment.get_template(template)
        html = page.render(
            {
                "host": self.host,
                **context,
                "ui_lang": language,
                "ui_dir": text_direction(language),
                "locale": locale,
                "instance_name": self.instance_name,
                "mirrors": self.mirrors,
                "onion": self.onion,
                "request_path": request.url.path,
                "ui_languages": [
                    (code, babel_locale(code).get_display_name(code) or code)
                    for code in INTERFACE_LANGUAGES
                ],
                "explain_rule": lambda rule: explain(rule, translations.gettext),
                "media_label": lambda kind: translations.gettext(MEDIA_LABELS.get(kind, "File")),
                "kind_label": lambda kind: translations.gettext(KIND_LABELS.get(kind) or str(kind)),
                "language_name": lambda code: locale.languages.get(code.split("-")[0], code),
                "country_name": lambda code: locale.territories.get(code, code),
                "actor_name": lambda actor: (
                    _profile_text(actor, language, "name") or actor.display_name or actor.username
                ),
                "actor_summary": lambda actor: (
                    _profile_text(actor, language, "summary") or actor.summary
                ),
            }
        )
        return HTMLResponse(html, status_code=status_code, headers=headers)
