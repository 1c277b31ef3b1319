"""Running instances for tests: in-process over ASGI, or real uvicorn servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import ssl as ssl_module
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from asgi_lifespan import LifespanManager

from cli.main import uvicorn_options
from core.clock import Clock
from core.config import Settings
from hambastegi.app import create_app
from hambastegi.wiring import instance_services
from runtime.services import Services
from tests.databases import TestDatabase, fresh_database

T = TypeVar("T")


def is_instance_setting(key: str) -> bool:
    """An environment variable that configures an instance (`HAMBASTEGI_*`), not the tests
    (`HAMBASTEGI_TEST_*`): tests and the processes they start never inherit one."""
    return key.startswith("HAMBASTEGI_") and not key.startswith("HAMBASTEGI_TEST_")


@dataclass
class Instance:
    """One instance under test: its settings, an HTTP client for it, and its own services
    (a separate connection pool on the same database) to arrange and assert with."""

    settings: Settings
    http: httpx.AsyncClient
    svc: Services
    app: Any = None  # the ASGI app, for a second client with another address (in-process only)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def host(self) -> str:
        return self.settings.host


def free_socket(port: int = 0) -> socket.socket:
    """A listening-ready socket on 127.0.0.1 (any free port, or the one asked for)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@asynccontextmanager
async def asgi_instance(
    tmp_path: Path,
    *,
    name: str = "a",
    base_url: str = "http://127.0.0.1:8700",
    clock: Clock | None = None,
    database: TestDatabase | None = None,
    **overrides: Any,
) -> AsyncIterator[Instance]:
    """The app in-process over httpx's ASGI transport; workers off unless asked for. A given
    `database` is used as is (for fault drills that put a proxy in front of it)."""
    data_dir = tmp_path / name
    async with _database(tmp_path, name, database) as database:
        overrides.setdefault("run_workers", False)
        settings = Settings.for_tests(
            base_url=base_url,
            data_dir=data_dir,
            database_url=database.url,
            database_schema=database.schema,
            **overrides,
        )
        app = create_app(settings, clock=clock)
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=manager.app), base_url=base_url
            ) as http,
            instance_services(settings, clock) as svc,
        ):
            yield Instance(settings=settings, http=http, svc=svc, app=manager.app)


@asynccontextmanager
async def _database(
    tmp_path: Path, name: str, given: TestDatabase | None
) -> AsyncIterator[TestDatabase]:
    if given is not None:
        yield given
        return
    async with fresh_database(tmp_path, name) as database:
        yield database


@asynccontextmanager
async def served_instance(
    tmp_path: Path,
    *,
    name: str = "a",
    clock: Clock | None = None,
    scheme: str = "http",
    ssl: tuple[str, str] | None = None,
    **overrides: Any,
) -> AsyncIterator[Instance]:
    """A real uvicorn server on 127.0.0.1 with its own database, keys and settings."""
    data_dir = tmp_path / name
    sock = free_socket()
    port = sock.getsockname()[1]
    base_url = f"{scheme}://127.0.0.1:{port}" if scheme == "http" else f"https://localhost:{port}"
    async with fresh_database(tmp_path, name) as database:
        settings = Settings.for_tests(
            base_url=base_url,
            data_dir=data_dir,
            database_url=database.url,
            database_schema=database.schema,
            **overrides,
        )
        config = uvicorn.Config(
            create_app(settings, clock=clock),
            **{**uvicorn_options(settings), "log_level": "warning"},
            lifespan="on",
            ssl_keyfile=ssl[0] if ssl else None,
            ssl_certfile=ssl[1] if ssl else None,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server stopped during start-up")
                await asyncio.sleep(0.01)
            # Over https, our own client trusts the instance's CA (a test CA in tests).
            verify: Any = (
                ssl_module.create_default_context(cafile=str(settings.ca_bundle))
                if settings.ca_bundle
                else True
            )
            async with (
                httpx.AsyncClient(base_url=base_url, verify=verify, timeout=10) as http,
                instance_services(settings, clock) as svc,
            ):
                yield Instance(settings=settings, http=http, svc=svc)
        finally:
            server.should_exit = True
            await task
            sock.close()


async def eventually(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 10.0, until: Callable[[T], bool] = bool
) -> T:
    """Poll `probe` until `until(result)` holds, or fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if until(result):
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s; last result: {result!r}")
        await asyncio.sleep(0.05)
