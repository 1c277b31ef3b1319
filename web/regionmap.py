"""The region as an SVG map, coloured by members or by strike reports: people would rather look
than read. Country outlines come from the installed `pygal_maps_world` package (read at first
use); each country is a link with a text title, and pages show the same numbers as a table."""

from __future__ import annotations

import importlib.resources
import re
from functools import cache
from html import escape

REGION = (
    "MA",
    "EH",
    "DZ",
    "TN",
    "LY",
    "EG",
    "SD",
    "MR",
    "IL",
    "PS",
    "LB",
    "SY",
    "JO",
    "IQ",
    "IR",
    "TR",
    "KW",
    "SA",
    "BH",
    "QA",
    "AE",
    "OM",
    "YE",
)
NEIGHBOURS = (
    "ES",
    "PT",
    "FR",
    "IT",
    "GR",
    "CY",
    "BG",
    "RO",
    "UA",
    "RU",
    "GE",
    "AM",
    "AZ",
    "TM",
    "UZ",
    "KZ",
    "AF",
    "PK",
    "ML",
    "NE",
    "TD",
    "ER",
    "ET",
    "DJ",
    "SO",
    "SS",
    "CF",
    "NG",
    "SN",
    "GM",
    "GN",
    "BF",
    "CM",
    "MK",
    "AL",
    "TJ",
    "IN",
    "KE",
    "UG",
)
VIEW_BOX = "1030 270 700 380"
SHADES = ("#efe9e2", "#f4c7b8", "#e8927a", "#cf5a44", "#a3291c")  # none, 1, 2-3, 4-9, 10+
_GROUP_RE = re.compile(r'<g class="([a-z]{2}) country[^"]*">(.*?)</g>', re.DOTALL)
_PATH_RE = re.compile(r'<path d="([^"]+)"\s*/>')


@cache
def outlines() -> dict[str, tuple[str, ...]]:
    """Path data per ISO country code (upper case), for the countries we draw."""
    svg = (importlib.resources.files("pygal_maps_world") / "worldmap.svg").read_text(
        encoding="utf-8"
    )
    wanted = {c.lower() for c in (*REGION, *NEIGHBOURS)}
    found: dict[str, tuple[str, ...]] = {}
    for code, body in _GROUP_RE.findall(svg):
        if code in wanted:
            found[code.upper()] = tuple(_PATH_RE.findall(body))
    return found


def shade(count: int) -> str:
    if count <= 0:
        return SHADES[0]
    if count == 1:
        return SHADES[1]
    if count <= 3:
        return SHADES[2]
    if count <= 9:
        return SHADES[3]
    return SHADES[4]


def render_map(counts: dict[str, int], *, names: dict[str, str], label: str, link: str) -> str:
    """An inline SVG; `counts` per country code; `link` is formatted with the code (`{code}`)."""
    parts = [
        f'<svg class="region-map" viewBox="{VIEW_BOX}" role="img" aria-labelledby="map-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="map-title">{escape(label)}</title>',
        '<g class="neighbours">',
    ]
    shapes = outlines()
    for code in NEIGHBOURS:
        for d in shapes.get(code, ()):
            parts.append(f'<path d="{d}"/>')
    parts.append("</g>")
    for code in REGION:
        if code not in shapes:
            continue
        count = counts.get(code, 0)
        name = names.get(code, code)
        parts.append(
            f'<a href="{escape(link.format(code=code))}"><title>{escape(name)}: {count}</title>'
            f'<g class="country" fill="{shade(count)}">'
            + "".join(f'<path d="{d}"/>' for d in shapes[code])
            + "</g></a>"
        )
    parts.append("</svg>")
    return "".join(parts)
