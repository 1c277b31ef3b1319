"""Bounded JSON ingest: UTF-8 only, an object at the top, nesting no deeper than a limit."""

from __future__ import annotations

from typing import Any

import orjson

from federation.errors import InvalidDocument
from federation.vocab import JsonObject

MAX_DEPTH = 64


def parse_json_object(body: bytes, *, max_depth: int = MAX_DEPTH) -> JsonObject:
    """Parse a JSON object or raise `InvalidDocument` with a reason fit for an HTTP 400."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        reason = "nested too deeply" if "depth" in str(exc) else "not valid UTF-8 JSON"
        raise InvalidDocument(f"body is {reason}") from exc
    if not isinstance(value, dict):
        raise InvalidDocument("body must be a JSON object")
    if b"\\u0000" in body:  # a NUL in a string: nothing we read means one, and it cannot be stored
        raise InvalidDocument("JSON strings must not contain NUL characters")
    # Nesting is at most the number of brackets that open (some may be inside strings): most
    # bodies have far fewer than the limit, and counting is much cheaper than walking.
    if body.count(b"{") + body.count(b"[") > max_depth and _depth_exceeds(value, max_depth):
        raise InvalidDocument(f"JSON nested deeper than {max_depth} levels")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend(
                (child, depth + 1) for child in node.values() if isinstance(child, dict | list)
            )
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return False


def dumps(document: JsonObject) -> bytes:
    return orjson.dumps(document)
