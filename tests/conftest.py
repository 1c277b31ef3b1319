"""Shared fixtures. Tests under integration/ and federation/ use storage: they are marked `db`
and run on SQLite and again on PostgreSQL. Tests under unit/ never touch storage."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import TestDatabase, engine_under_test, fresh_database
from tests.harness import Instance, asgi_instance

STORAGE_SUITES = ("integration", "federation", "browser", "interop")
# Modules whose module-scoped fixture takes minutes (the large demo network): collected first,
# so that with pytest-xdist one worker builds it while the other runs the rest, instead of it
# starting last and the run waiting for it alone (it ended a 29-minute CI run that way).
LONG_FIXTURES_FIRST = ("test_volume.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        suite = Path(str(item.path)).relative_to(Path(__file__).parent).parts[0]
        if suite in STORAGE_SUITES:
            item.add_marker(pytest.mark.db)
        if suite == "interop":
            item.add_marker(pytest.mark.interop)
    items.sort(key=lambda item: Path(str(item.path)).name not in LONG_FIXTURES_FIRST)


def pytest_report_header(config: pytest.Config) -> str:
    return f"hambastegi storage engine under test: {engine_under_test()}"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[TestDatabase]:
    async with fresh_database(tmp_path) as db:
        yield db


@pytest.fixture
async def instance(tmp_path: Path) -> AsyncIterator[Instance]:
    async with asgi_instance(tmp_path) as inst:
        yield inst


@pytest.fixture(autouse=True)
def _no_stray_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("HAMBASTEGI_") and not key.startswith("HAMBASTEGI_TEST_"):
            monkeypatch.delenv(key)
