"""The region as an SVG map, coloured by members or by strike reports: people would rather look
than read. Country outlines come from the installed `pygal_maps_world` package (read at first
use, coordinates rounded to a tenth of a unit). The map is its own image file
(`/map/members.svg`), cached by readers and by the page cache, so pages stay small on
throttled mobile data; pages show its legend and the same numbers as links."""

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
_NUMBER_RE = re.compile(r"-?\d+\.\d+")
# The shades' lower bounds, for the legend: (shade, first count, last count or None for "and up").
LEGEND: tuple[tuple[str, int, int | None], ...] = (
    (SHADES[0], 0, 0),
    (SHADES[1], 1, 1),
    (SHADES[2], 2, 3),
    (SHADES[3], 4, 9),
    (SHADES[4], 10, None),
)


def _rounded(path: str) -> str:
    return _NUMBER_RE.sub(lambda m: f"{float(m.group()):.1f}".rstrip("0").rstrip("."), path)


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
            found[code.upper()] = tuple(_rounded(d) for d in _PATH_RE.findall(body))
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


def render_map(counts: dict[str, int], *, label: str) -> str:
    """The map as a standalone SVG image (shown with `<img>`: pages give the same numbers as
    links beside it); `counts` per country code. Colours are attributes, not CSS, so the image
    needs no style permission of its own."""
    parts = [
        f'<svg viewBox="{VIEW_BOX}" role="img" aria-labelledby="t" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="t">{escape(label)}</title>',
        '<rect x="1030" y="270" width="700" height="380" fill="#dfe9ef"/>',
        '<g fill="#e6e2dc" stroke="#fff" stroke-width=".6">',
    ]
    shapes = outlines()
    for code in NEIGHBOURS:
        for d in shapes.get(code, ()):
            parts.append(f'<path d="{d}"/>')
    parts.append('</g><g stroke="#fff" stroke-width=".7">')
    for code in REGION:
        paths = "".join(f'<path d="{d}"/>' for d in shapes.get(code, ()))
        if paths:
            parts.append(f'<g fill="{shade(counts.get(code, 0))}">{paths}</g>')
    parts.append("</g></svg>")
    return "".join(parts)
