"""Interoperability: our instance over TLS on loopback against independent implementations.
Run with `make test-interop` (installs Node 22 and Fedify from npm); never part of the plain
`pytest` run. Every test here also uses storage, so it runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interop.fedify import Certificates


@pytest.fixture
def certificates(tmp_path: Path) -> Certificates:
    return Certificates.create(tmp_path)
