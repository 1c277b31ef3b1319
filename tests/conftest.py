"""Shared fixtures. Tests under integration/ and federation/ use storage: they are marked `db`
and run on SQLite and again on PostgreSQL. Tests under unit/ never touch storage."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import TestDatabase, engine_under_test, fresh_database
from tests.harness import Instance, asgi_instance, is_instance_setting

STORAGE_SUITES = ("integration", "federation", "browser", "interop")
# Modules whose module-scoped fixture waits minutes (for the large demo network, built once in
# a subprocess by `tests.large_network`): collected first, so that the build starts at once and
# the other xdist worker runs the rest meanwhile, instead of the run waiting for it at the end.
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
        if is_instance_setting(key):
            monkeypatch.delenv(key)
