"""Where the non-Python parts live: in a source checkout, or packaged in the wheel (`core/_*`)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent  # core/


def _find(checkout_name: str, packaged_name: str) -> Path:
    packaged = _PACKAGE / packaged_name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / checkout_name


def migrations_dir() -> Path:
    return _find("migrations", "_migrations")


def templates_dir() -> Path:
    return _find("templates", "_templates")


def static_dir() -> Path:
    return _find("static", "_static")


def locales_dir() -> Path:
    return _find("locales", "_locales")
