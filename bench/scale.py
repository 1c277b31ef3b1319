"""Benchmark 7: public pages at the size of real use.

The small demo (`hambastegi demo`) and the large one (`hambastegi demo --size large`: 24
members, 5,000+ posts, 500 remote posts, thousands of followers) are built on SQLite and
served side by side, each by its own `hambastegi serve --web-only`; each page is then loaded
with wrk from both, in turns (small, large, small, large, …), and the medians of the rounds'
p50 and p99 latencies are compared: at the large size against the small, same page, same run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    LoadResult,
    Result,
    Row,
    environment,
    free_port,
    fresh_database,
    median,
    progress,
    settings_for,
    write_requests,
    wrk,
)
from bench.inbox import hambastegi_command, serving
from cli import demo, demo_large
from hambastegi.wiring import instance_services

ROUNDS = 3
SECONDS = 2
CONNECTIONS = 10
PAGES = {
    "home (the network's boosts), first page": "/",
    "home, page 12": "/?page=12",
    "an organisation's profile, page 6": "/actors/{org}?page=6",
    "bulletins, first page": "/bulletins",
    "strike tracker": "/strikes",
    "events": "/events",
    "network feed (Atom)": "/feeds/actor/solidarity.atom",
}


@dataclass(frozen=True)
class Site:
    name: str
    port: int
    org: str  # an organisation with enough posts for page 6


async def build(directory: Path, name: str, *, large: bool) -> tuple[dict[str, str], str]:
    """A served-ready database with the demo of that size; its environment and organisation."""
    database_dir = directory / f"scale-{name}"
    database_dir.mkdir()
    port = free_port()
    async with fresh_database("sqlite", database_dir, name) as database:
        settings = settings_for(database, database_dir / "data", f"http://127.0.0.1:{port}")
        async with instance_services(settings) as svc:
            if large:
                await demo_large.seed_large(svc)
            else:
                await demo.seed(svc)
        env = environment(settings)
    env["BENCH_PORT"] = str(port)
    return env, demo_large.MARKER if large else "oil_workers"


def request_file(directory: Path, site: Site, name: str, path: str) -> Path:
    file = directory / f"scale-{site.name}-{abs(hash(name))}.req"
    target = path.format(org=site.org)
    write_requests(
        file,
        [
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n"
            "Accept: text/html\r\n\r\n".encode()
        ],
    )
    return file


async def run(directory: Path) -> Result:
    result = Result(7, "Public pages at the size of real use")
    progress("7. pages at scale: building the small demo")
    small_env, small_org = await build(directory, "small", large=False)
    progress("7. pages at scale: building the large demo (about two minutes)")
    large_env, large_org = await build(directory, "large", large=True)
    small = Site("small", int(small_env["BENCH_PORT"]), small_org)
    large = Site("large", int(large_env["BENCH_PORT"]), large_org)
    cached = Site("cached", free_port(), large_org)  # the same database, the page cache on
    uncached_env = {"HAMBASTEGI_PAGE_CACHE_SECONDS": "0"}
    cached_env = {
        **large_env,
        "HAMBASTEGI_PAGE_CACHE_SECONDS": "10",
        "HAMBASTEGI_BASE_URL": large_env["HAMBASTEGI_BASE_URL"],
    }
    loads: dict[tuple[str, str], list[LoadResult]] = {}
    async with (
        serving(
            hambastegi_command(small.port, web_only=True), {**small_env, **uncached_env}, small.port
        ),
        serving(
            hambastegi_command(large.port, web_only=True), {**large_env, **uncached_env}, large.port
        ),
        serving(hambastegi_command(cached.port, web_only=True), cached_env, cached.port),
    ):
        for round_ in range(ROUNDS):
            for name, path in PAGES.items():
                progress(f"7. pages at scale, round {round_ + 1}: {name}")
                for site in (small, large, cached):  # in turns: every round measures all three
                    loads.setdefault((site.name, name), []).append(
                        await wrk(
                            f"http://127.0.0.1:{site.port}/",
                            connections=CONNECTIONS,
                            seconds=SECONDS,
                            requests_file=request_file(directory, site, name, path),
                        )
                    )
    for name in PAGES:
        ours, reference = loads[("large", name)], loads[("small", name)]
        bad = sum(r.bad_status + r.socket_errors for r in ours + reference)
        for label, pick in (("p50", _p50), ("p99", _p99)):
            result.rows.append(
                Row(
                    f"{name}: {label} latency at the large demo's size",
                    median([pick(r) for r in ours]),
                    "ms",
                    median([pick(r) for r in reference]),
                    "the small demo, same page, same run",
                    higher_is_better=False,
                )
            )
        result.rows.append(
            Row(
                f"{name}: pages/s at the large demo's size",
                median([r.per_second for r in ours]),
                "/s",
                median([r.per_second for r in reference]),
                "the small demo, same page, same run",
            )
        )
        with_cache = loads[("cached", name)]
        result.rows.append(
            Row(
                f"{name}: pages/s at the large size with the page cache vs without",
                median([r.per_second for r in with_cache]),
                "/s",
                median([r.per_second for r in ours]),
                "the same page rendered on every request, same run",
                "≥ 10×",
                median([r.per_second for r in with_cache])
                >= 10 * median([r.per_second for r in ours]),
                if_missed="A cached page is a dictionary look-up, but each answer still passes "
                "through uvicorn and the security headers, on a core wrk shares.",
            )
        )
        bad += sum(r.bad_status + r.socket_errors for r in with_cache)
        if bad:
            result.notes.append(f"{name}: {bad} non-2xx answers or socket errors.")
    result.notes.append(
        f"SQLite; one `serve --web-only` process per size; wrk, {CONNECTIONS} connections, "
        f"{SECONDS} s per page and size, {ROUNDS} rounds taken in turns, medians shown. "
        "The small and large servers render every request (`HAMBASTEGI_PAGE_CACHE_SECONDS=0`); "
        "a third server on the large database has the page cache on (10 s, the default)."
    )
    return result


def _p50(load: LoadResult) -> float:
    return load.p50_ms


def _p99(load: LoadResult) -> float:
    return load.p99_ms
