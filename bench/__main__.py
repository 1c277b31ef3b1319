"""`python -m bench` (`make bench`): run every benchmark, print progress, rewrite
docs/benchmarks.md. `--only 1,3` runs some; `--output` writes elsewhere."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import fanout, footprint, inbox, scale, scaleout, signatures
from bench.common import (
    Machine,
    Result,
    TestCA,
    fresh_database,
    postgres_available,
    progress,
    raise_file_limit,
    running_sink,
    wrk_available,
)
from bench.report import render

ROOT = Path(__file__).resolve().parent.parent


async def run_all(only: set[int], directory: Path) -> list[Result]:
    results: list[Result] = []
    postgres = await postgres_available()
    engines = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    if not postgres:
        progress("PostgreSQL is not reachable: its rows are left out")

    def timed(result: Result, started: float) -> Result:
        result.seconds = time.perf_counter() - started
        return result

    if 3 in only:
        started = time.perf_counter()
        results.append(timed(signatures.run(), started))
    if only & {1, 5}:
        tls = TestCA.create(directory)
        async with running_sink(fanout.HOSTS, tls, slow=fanout.SLOW_HOSTS) as sink:
            if 1 in only:
                started = time.perf_counter()
                database_dir = directory / "fanout-db"
                database_dir.mkdir()
                async with fresh_database("sqlite", database_dir, "fanout") as database:
                    results.append(timed(await fanout.run(directory, database, tls, sink), started))
            if 5 in only and postgres:
                started = time.perf_counter()
                results.append(timed(await scaleout.run(directory, tls, sink), started))
    under_load = None
    if only & {2, 6}:
        started = time.perf_counter()
        inbox_result, pages_result, figures = await inbox.run(directory, engines)
        under_load = figures.get("rss_under_inbox_load")
        if 2 in only:
            results.append(timed(inbox_result, started))
        if 6 in only:
            results.append(pages_result)
    if 4 in only:
        started = time.perf_counter()
        results.append(timed(await footprint.run(directory, under_load), started))
    if 7 in only:
        started = time.perf_counter()
        results.append(timed(await scale.run(directory), started))
    return sorted(results, key=lambda r: r.number)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", default="1,2,3,4,5,6,7", help="benchmarks to run, e.g. 1,3")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    only = {int(n) for n in args.only.split(",") if n.strip()}
    if not wrk_available() and only & {2, 6, 7}:
        raise SystemExit("benchmarks 2, 6 and 7 need wrk: apt-get install wrk (or --only 1,3,4,5)")
    raise_file_limit()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hambastegi-bench-") as tmp:
        results = asyncio.run(run_all(only, Path(tmp)))
    elapsed = time.perf_counter() - started
    text = render(results, Machine.here(), datetime.now(UTC), elapsed)
    args.output.write_text(text, encoding="utf-8")
    progress(f"done in {elapsed / 60:.1f} min; wrote {args.output}")
    print(text)


if __name__ == "__main__":
    main()
