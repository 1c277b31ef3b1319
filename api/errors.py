"""Errors as Mastodon answers them: a status code and `{"error": "…"}`."""

from __future__ import annotations

from typing import TypeVar

from starlette.responses import JSONResponse

T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found() -> ApiError:
    return ApiError(404, "Record not found")


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def present(found: T | None) -> T:
    """A row that must be there (it was a moment ago): 404 if it went meanwhile."""
    if found is None:
        raise not_found()
    return found
