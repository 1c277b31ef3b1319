"""Mastodon's paging over time-ordered ids: `max_id` (older than), `since_id` (newer than),
`min_id` (just newer than, closest first), `limit`, and the `Link` header that names the
next and previous pages. A timeline may merge several sources (our posts and remote ones)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request

from api.ids import moment
from api.params import Params


@dataclass(frozen=True)
class Window:
    """What one page asks of each source: items between `after` and `before` (times, either
    may be None), newest first unless `ascending`, at most `count`."""

    after: datetime | None
    before: datetime | None
    ascending: bool
    count: int


Source = Callable[[Window], Awaitable[Sequence[tuple[str, Any]]]]


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


async def page(
    params: Params, sources: Sequence[Source], *, default: int = 20
) -> list[tuple[str, Any]]:
    """One page of (id, item), newest first, from all `sources`."""
    limit = params.limit(default)
    max_id = _number(params.optional("max_id", max_length=40))
    since_id = _number(params.optional("since_id", max_length=40))
    min_id = _number(params.optional("min_id", max_length=40))
    lower = min_id if min_id is not None else since_id
    window = Window(
        after=moment(str(lower)) if lower is not None else None,
        before=moment(str(max_id)) if max_id is not None else None,
        ascending=min_id is not None,
        count=limit + 5,
    )
    found: list[tuple[str, Any]] = []
    for source in sources:
        found += [
            (item_id, item)
            for item_id, item in await source(window)
            if (max_id is None or int(item_id) < max_id) and (lower is None or int(item_id) > lower)
        ]
    found.sort(key=lambda pair: int(pair[0]), reverse=not window.ascending)
    chosen = found[:limit]
    if window.ascending:
        chosen.reverse()
    return chosen


def link_header(request: Request, chosen: Sequence[tuple[str, Any]]) -> dict[str, str]:
    if not chosen:
        return {}
    base = str(request.url.remove_query_params(["max_id", "min_id", "since_id"]))
    joiner = "&" if "?" in base else "?"
    newest, oldest = chosen[0][0], chosen[-1][0]
    return {
        "Link": f'<{base}{joiner}max_id={oldest}>; rel="next", '
        f'<{base}{joiner}min_id={newest}>; rel="prev"'
    }
