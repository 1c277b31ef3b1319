"""OrderedCollection and OrderedCollectionPage documents, paged by page number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from federation.vocab import AS_CONTEXT, JsonObject

PAGE_SIZE = 20


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // page_size))


def collection(
    uri: str, total: int, *, show_pages: bool = True, page_size: int = PAGE_SIZE
) -> JsonObject:
    """The collection head: a count, and links to the first and last pages (unless hidden)."""
    document: JsonObject = {
        "@context": AS_CONTEXT,
        "id": uri,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if show_pages:
        document["first"] = f"{uri}?page=1"
        document["last"] = f"{uri}?page={page_count(total, page_size)}"
    return document


def collection_page(
    uri: str, page: int, total: int, items: Sequence[Any], *, page_size: int = PAGE_SIZE
) -> JsonObject:
    document: JsonObject = {
        "@context": AS_CONTEXT,
        "id": f"{uri}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": uri,
        "totalItems": total,
        "orderedItems": list(items),
    }
    if page > 1:
        document["prev"] = f"{uri}?page={page - 1}"
    if page < page_count(total, page_size):
        document["next"] = f"{uri}?page={page + 1}"
    return document


def parse_page(raw: str | None) -> int | None:
    """The page number of a `?page=` parameter: None for the head; ValueError when malformed."""
    if raw is None:
        return None
    if raw == "true":
        return 1
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1_000_000:
        raise ValueError(f"page must be a positive whole number, got {raw!r}")
    return int(raw)
