"""Benchmark 4: resident memory idle (web and workers in one `hambastegi serve` process) and the
time from exec to the first 200, against bare Starlette started the same way."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from bench.common import (
    Result,
    Row,
    environment,
    free_port,
    fresh_database,
    median,
    progress,
    rss_mb,
    settings_for,
)
from bench.inbox import bare_command, hambastegi_command, serving

IDLE_SECONDS = 3.0
REPEATS = 3


LIBRARIES = {
    "sqlalchemy": ("sqlalchemy.ext.asyncio", "sqlalchemy.orm"),
    "cryptography": ("cryptography.hazmat.primitives.asymmetric.rsa",),
    "lazy": ("aiohttp", "alembic.command", "feedgen.feed", "PIL.Image", "icalendar"),
}


def library_mb(modules: tuple[str, ...]) -> float:
    """Resident memory a fresh interpreter gains by importing `modules` (median of 3)."""
    # VmRSS, not ru_maxrss: on Linux a child inherits its parent's peak across exec.
    script = "import sys; [__import__(m) for m in sys.argv[1:]]; " + (
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')][0])"
    )
    samples = []
    for _ in range(3):
        loaded = subprocess.run(
            [sys.executable, "-c", script, *modules], capture_output=True, text=True, check=True
        )
        bare = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        samples.append((int(loaded.stdout) - int(bare.stdout)) / 1024)
    return median(samples)


async def measure(command: list[str], env: dict[str, str], port: int) -> tuple[float, float]:
    async with serving(command, env, port) as server:
        await asyncio.sleep(IDLE_SECONDS)  # workers polling, nothing to do
        return server.started_in, rss_mb(server.process.pid)


async def run(directory: Path, under_load_mb: float | None) -> Result:
    result = Result(4, "Footprint: memory and start-up")
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for n in range(REPEATS):
        progress(f"4. footprint: start-up and idle memory, run {n + 1} of {REPEATS}")
        async with fresh_database("sqlite", directory, f"footprint{n}") as database:
            port = free_port()
            settings = settings_for(
                database, directory / f"footprint{n}", f"http://127.0.0.1:{port}"
            )
            ours.append(
                await measure(hambastegi_command(port, web_only=False), environment(settings), port)
            )
        port = free_port()
        bare.append(await measure(bare_command(port), dict(os.environ), port))
    start, rss = median([o[0] for o in ours]), median([o[1] for o in ours])
    libraries = {name: library_mb(modules) for name, modules in LIBRARIES.items()}
    bare_start, bare_rss = median([b[0] for b in bare]), median([b[1] for b in bare])
    result.rows += [
        Row(
            "resident memory, idle, web and workers",
            rss,
            "MB",
            bare_rss,
            "bare Starlette in uvicorn, idle",
            "≤ 80 MB",
            rss <= 80,
            higher_is_better=False,
            if_missed="Measured in this run, importing SQLAlchemy's async ORM alone takes "
            f"{libraries['sqlalchemy']:.0f} MB resident and cryptography "
            f"{libraries['cryptography']:.0f} MB. aiohttp, Alembic, feedgen (lxml), Pillow and "
            f"icalendar, {libraries['lazy']:.0f} MB together, are loaded only when first needed "
            "(a fetch or a delivery, a migration, a feed, an upload, a calendar). Under 80 MB "
            "would need a lighter database layer than the SQLAlchemy ORM.",
        ),
        Row(
            "exec to first 200",
            start,
            "s",
            bare_start,
            "bare Starlette in uvicorn",
            "≤ 1 s",
            start <= 1,
            higher_is_better=False,
        ),
    ]
    if under_load_mb is not None:
        result.rows.append(
            Row(
                "resident memory, peak under benchmark 2 (web process)",
                under_load_mb,
                "MB",
                higher_is_better=False,
            )
        )
    result.notes.append(
        f"`hambastegi serve` on SQLite (migrated, empty); memory read from /proc after "
        f"{IDLE_SECONDS:.0f} s idle; medians of {REPEATS} starts."
    )
    return result
