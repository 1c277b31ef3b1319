"""What every benchmark shares: result rows, the machine, medians, TLS for the loopback sinks,
fresh databases, subprocess environments, process measurements and the wrk driver."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import trustme

from core.config import Settings, normalise_database_url
from hambastegi.migrate import upgrade
from storage.database import Database

POSTGRES_URL = os.environ.get(
    "HAMBASTEGI_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SECRET = "bench-" + "s" * 40


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Row:
    """One line of a benchmark's table: our figure, the reference measured in the same run."""

    metric: str
    ours: float
    unit: str
    reference: float | None = None
    reference_label: str = ""
    target: str = ""
    meets: bool | None = None
    higher_is_better: bool = True
    if_missed: str = ""  # why a missed target is missed, and what would close it

    @property
    def ratio(self) -> float | None:
        if self.reference in (None, 0):
            return None
        assert self.reference is not None
        return self.ours / self.reference


@dataclass
class Result:
    number: int
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gb: float
    python: str
    system: str

    @classmethod
    def here(cls) -> Machine:
        cpu = platform.processor() or "unknown"
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as info:
            total_kb = int(info.readline().split()[1])
        return cls(
            cpu=cpu,
            cores=os.cpu_count() or 1,
            memory_gb=round(total_kb / 1024 / 1024, 1),
            python=platform.python_version(),
            system=f"{platform.system()} {platform.release()}",
        )


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


_SPIN = "n = 0\nfor i in range(15_000_000):\n    n += i\n"


def _spin_seconds(processes: int) -> float:
    """Wall time until `processes` copies of a pure-Python loop, started together, all end."""
    started = time.perf_counter()
    running = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(processes)]
    for process in running:
        process.wait()
    return time.perf_counter() - started


def busy_core_speed(rounds: int = 3) -> float:
    """How fast a core runs Python while every core is busy, as a fraction of its speed when
    it runs alone (median of `rounds`, taken in turns). Under 1 where cores share the host's
    (a virtual machine's vCPUs, hyperthreads)."""
    cores = os.cpu_count() or 1
    return median([_spin_seconds(1) / _spin_seconds(cores) for _ in range(rounds)])


def children_cpu_seconds() -> float:
    """CPU seconds of this process's children that have ended (wrk, once it has returned)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_stat(pid: int | str) -> tuple[str, float] | None:
    """A process's name and the CPU seconds it has used (user and system), from /proc; None
    once it has gone (or is not ours to read)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    name, fields = text[text.find("(") + 1 : text.rfind(")")], text.rsplit(")", 1)[1].split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (its server and the
    backends of open connections; one that ended in between is missed)."""
    found = (_process_stat(entry) for entry in os.listdir("/proc") if entry.isdigit())
    return sum(seconds for name, seconds in filter(None, found) if name == "postgres")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a running process and its descendants (from /proc)."""
    total = 0.0
    pending = [pid]
    while pending:
        p = pending.pop()
        found = _process_stat(p)
        if found is not None:
            total += found[1]
            pending += _children(p)
    return total


@dataclass
class CpuUse:
    """CPU seconds over a measured stretch: the server's processes, and the load generator's."""

    server: float = 0.0
    load: float = 0.0
    database: float = 0.0  # PostgreSQL's server processes (on SQLite, about nothing)

    def per_request_ms(self, requests: int) -> float:
        return 1000 * self.server / requests if requests else 0.0

    def cores(self, result: LoadResult) -> Cores:
        """Cores kept busy over the run's measured time (the stretch after it, while wrk is
        stopped, is idle)."""
        seconds = result.seconds or 1.0
        return Cores(self.server / seconds, self.load / seconds, self.database / seconds)


@dataclass(frozen=True)
class Cores:
    server: float
    load: float
    database: float

    @property
    def idle(self) -> float:
        """What no one used of the machine's cores: not the server, wrk or the database (the
        bench's own polling is left in, so this errs low)."""
        return max(0.0, (os.cpu_count() or 1) - self.server - self.load - self.database)


@contextmanager
def measuring_cpu(pid: int) -> Iterator[CpuUse]:
    """The CPU that server `pid` (with its children) and the load generator (a child of ours
    that has ended by the block's end: wrk) used while the block ran."""
    use = CpuUse()
    server, load, database = tree_cpu_seconds(pid), children_cpu_seconds(), postgres_cpu_seconds()
    yield use
    use.server = tree_cpu_seconds(pid) - server
    use.load = children_cpu_seconds() - load
    use.database = postgres_cpu_seconds() - database


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """Ask a child process to end; kill it if it has not within 10 s."""
    if process.returncode is None:
        process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout=10)
    except TimeoutError:
        process.kill()
        await process.wait()


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- TLS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCA:
    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def create(cls, directory: Path) -> TestCA:
        """A throwaway certificate authority and a certificate for 127.0.0.1 signed by it."""
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        paths = cls(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
        ca.cert_pem.write_to_path(str(paths.ca_file))
        cert.private_key_pem.write_to_path(str(paths.key_file))
        cert.cert_chain_pems[0].write_to_path(str(paths.cert_file))
        return paths


@dataclass
class Sink:
    ports: list[int]
    control_port: int
    slow_ports: list[int] = field(default_factory=list)

    def inbox(self, n: int, path: str = "/inbox") -> str:
        return f"https://127.0.0.1:{self.ports[n % len(self.ports)]}{path}"

    async def count(self) -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.control_port)
        writer.write(b"GET /count HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        data = await reader.read(4096)
        writer.close()
        return int(data.split(b"\r\n\r\n", 1)[1])


@asynccontextmanager
async def running_sink(ports: int, tls: TestCA, slow: int = 0) -> AsyncIterator[Sink]:
    """The TLS sink in its own process (its CPU is not ours)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.sink",
        "--ports",
        str(ports),
        "--cert",
        str(tls.cert_file),
        "--key",
        str(tls.key_file),
        "--slow",
        str(slow),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    ready = json.loads(line)
    try:
        yield Sink(ready["ports"], ready["control"], ready["slow_ports"])
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()


# -- databases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    schema: str | None
    engine: str


@asynccontextmanager
async def fresh_database(engine: str, directory: Path, name: str) -> AsyncIterator[BenchDatabase]:
    """An empty database migrated to the newest schema (real migrations), dropped afterwards."""
    if engine == "postgresql":
        schema = f"bench_{name}_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(POSTGRES_URL)
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await conn.close()
        database = BenchDatabase(POSTGRES_URL, schema, engine)
    else:
        database = BenchDatabase(f"sqlite:///{directory / f'{name}.sqlite3'}", None, engine)
    db = Database(normalise_database_url(database.url), schema=database.schema)
    try:
        await upgrade(db)
    finally:
        await db.dispose()
    try:
        yield database
    finally:
        if engine == "postgresql":
            conn = await asyncpg.connect(POSTGRES_URL)
            try:
                await conn.execute(f'DROP SCHEMA "{database.schema}" CASCADE')
            finally:
                await conn.close()


async def postgres_available() -> bool:
    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


def settings_for(
    database: BenchDatabase, data_dir: Path, base_url: str, **overrides: Any
) -> Settings:
    return Settings.for_tests(
        base_url=base_url,
        data_dir=data_dir,
        database_url=database.url,
        database_schema=database.schema,
        secret_key=SECRET,
        log_level="warning",
        **overrides,
    )


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `hambastegi` process with these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMBASTEGI_")}
    env.update(
        {
            "HAMBASTEGI_BASE_URL": settings.base_url,
            "HAMBASTEGI_DATA_DIR": str(settings.data_dir),
            "HAMBASTEGI_DATABASE_URL": settings.database_url,
            "HAMBASTEGI_SECRET_KEY": settings.secret_key,
            "HAMBASTEGI_ALLOW_PRIVATE_NETWORK": "true",
            "HAMBASTEGI_LOG_LEVEL": "warning",
            "HAMBASTEGI_SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
        }
    )
    if settings.database_schema:
        env["HAMBASTEGI_DATABASE_SCHEMA"] = settings.database_schema
    if settings.ca_bundle:
        env["HAMBASTEGI_CA_BUNDLE"] = str(settings.ca_bundle)
    env.update(extra)
    return env


async def wait_for_http(
    port: int, path: str = "/.well-known/nodeinfo", timeout: float = 60
) -> float:
    """Poll until the server answers 200; returns the seconds it took."""
    started = time.perf_counter()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    while time.perf_counter() - started < timeout:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.005)
            continue
        writer.write(request.encode())
        await writer.drain()
        head = await reader.read(64)
        writer.close()
        if head.startswith(b"HTTP/1.1 200"):
            return time.perf_counter() - started
        await asyncio.sleep(0.005)
    raise TimeoutError(f"nothing answered 200 on port {port} within {timeout} s")


async def wait_until(check: Callable[[], Any], *, timeout: float, interval: float = 0.02) -> float:
    """Poll an async predicate; returns when it holds (the elapsed seconds) or raises."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if await check():
            return time.perf_counter() - started
        await asyncio.sleep(interval)
    raise TimeoutError(f"not done within {timeout} s")


# -- wrk ---------------------------------------------------------------------------------------

WRK_SCRIPT = Path(__file__).with_name("requests.lua")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad_status: int
    socket_errors: int
    answered: int = 0  # responses wrk counted (with `done`, `requests` is the server's count)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    requests_file: Path | None = None,
    threads: int = 2,
    cycle: bool = True,
    done: Callable[[], Awaitable[int]] | None = None,
    expected: int = 0,
) -> LoadResult:
    """wrk against `url`. With `requests_file`, each request is taken from the file (raw HTTP,
    NUL-separated); without `cycle`, each is sent once. wrk always runs for its whole duration,
    so with `done` (an async count of what the server has durably done) the run is timed by us:
    until the count reaches `expected` (or stops growing for two seconds), when wrk is
    interrupted and reports its latencies; the rate is the count over the time of its last
    increase."""
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        url,
        "--",
        str(requests_file or ""),
        str(threads),
        "cycle" if cycle else "once",
    ]
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    measured: float | None = None
    finished = 0
    if done is not None:
        measured, finished = await _count_until(done, started, expected, seconds)
        process.send_signal(signal.SIGINT)
    out, err = await process.communicate()
    marker = b"BENCH-RESULT "
    for line in out.splitlines():
        if line.startswith(marker):
            data = json.loads(line[len(marker) :])
            return LoadResult(
                requests=finished if measured is not None else data["requests"],
                seconds=measured if measured is not None else data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                bad_status=data["status_errors"],
                socket_errors=data["socket_errors"],
                answered=data["requests"],
            )
    raise RuntimeError(f"wrk failed ({started=}): {out.decode()} {err.decode()}")


async def _count_until(
    count: Callable[[], Awaitable[int]], started: float, expected: int, limit: float
) -> tuple[float, int]:
    """Poll `count` until it reaches `expected` or has not grown for 2 s; returns the elapsed
    time at its last increase and its value."""
    last, last_at = 0, time.perf_counter()
    while time.perf_counter() - started < limit:
        now_count = await count()
        if now_count > last:
            last, last_at = now_count, time.perf_counter()
            if last >= expected:
                break
        elif last and time.perf_counter() - last_at > 2.0:
            break
        await asyncio.sleep(0.02)
    return last_at - started, last


def write_requests(path: Path, requests: Sequence[bytes]) -> None:
    with path.open("wb") as f:
        for request in requests:
            f.write(request)
            f.write(b"\0\0\0")
