"""Two (or three) real instances on 127.0.0.1, each with its own database, keys and settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Instance, served_instance


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance]]:
    async with served_instance(tmp_path, name="a") as a, served_instance(tmp_path, name="b") as b:
        yield a, b


@pytest.fixture
async def trio(tmp_path: Path) -> AsyncIterator[tuple[Instance, Instance, Instance]]:
    async with (
        served_instance(tmp_path, name="one") as one,
        served_instance(tmp_path, name="two") as two,
        served_instance(tmp_path, name="three") as three,
    ):
        yield one, two, three
