"""A request's parameters however the client sends them: the query string, a form
(urlencoded or multipart, lists as `name[]`), or JSON. Wrong types and oversized values are
a 422 with a message naming the parameter, as Mastodon answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from api.errors import ApiError

MAX_JSON_BYTES = 1024 * 1024
MAX_FORM_BYTES = 20 * 1024 * 1024


@dataclass
class Params:
    values: dict[str, Any]
    files: dict[str, UploadFile] = field(default_factory=dict)

    def text(self, name: str, *, max_length: int = 10_000, default: str = "") -> str:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ApiError(422, f"Validation failed: {name} must be a string")
        text = str(value)
        if len(text) > max_length:
            raise ApiError(422, f"Validation failed: {name} is longer than {max_length}")
        return text

    def optional(self, name: str, *, max_length: int = 10_000) -> str | None:
        value = self.text(name, max_length=max_length)
        return value or None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "on", "yes"):
            return True
        if str(value).lower() in ("false", "0", "off", "no"):
            return False
        raise ApiError(422, f"Validation failed: {name} must be true or false")

    def items(self, name: str, *, max_items: int = 20) -> list[str]:
        value = self.values.get(name, self.values.get(f"{name}[]"))
        if value is None:
            return []
        found = value if isinstance(value, list) else [value]
        if len(found) > max_items or not all(isinstance(v, (str, int)) for v in found):
            raise ApiError(422, f"Validation failed: {name} must be a list of at most {max_items}")
        return [str(v) for v in found]

    def limit(self, default: int = 20, maximum: int = 40) -> int:
        raw = self.text("limit", max_length=10)
        if not raw:
            return default
        if not raw.isascii() or not raw.isdigit():
            raise ApiError(422, "Validation failed: limit must be a number")
        return max(1, min(int(raw), maximum))


async def read_params(request: Request) -> Params:
    """Everything the client sent: the query string, then the body over it."""
    values: dict[str, Any] = {}
    for key in request.query_params:
        got = request.query_params.getlist(key)
        values[key] = got if key.endswith("[]") or len(got) > 1 else got[0]
    if request.method in ("GET", "HEAD", "DELETE") and not request.headers.get("content-length"):
        return Params(values)
    length = int(request.headers.get("content-length") or 0)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    files: dict[str, UploadFile] = {}
    if kind == "application/json":
        if length > MAX_JSON_BYTES:
            raise ApiError(413, "Request body too large")
        body = await request.body()
        if len(body) > MAX_JSON_BYTES:
            raise ApiError(413, "Request body too large")
        try:
            parsed = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "Invalid JSON in the request body") from exc
        if not isinstance(parsed, dict):
            raise ApiError(422, "The request body must be a JSON object")
        values.update(parsed)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if length > MAX_FORM_BYTES:
            raise ApiError(413, "Request body too large")
        form = await request.form(max_part_size=MAX_FORM_BYTES)
        request.state.api_form = form  # api_view closes its files after the view
        for key in form:
            parts: list[Any] = list(form.getlist(key))
            for item in parts:
                if isinstance(item, UploadFile):
                    files[key] = item
            texts: list[str] = [g for g in parts if isinstance(g, str)]
            if texts:
                values[key] = texts if key.endswith("[]") or len(texts) > 1 else texts[0]
    return Params(values, files)
