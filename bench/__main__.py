"""`python -m bench` (`make bench`): run every benchmark, print progress, rewrite
docs/benchmarks.md. `--only 1,3` runs some; `--output` writes elsewhere."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable
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

    async def guarded(number: int, title: str, work: Awaitable[list[Result]]) -> None:
        """Run one benchmark; if it cannot run, say why in its section and go on."""
        started = time.perf_counter()
        try:
            for result in await work:
                results.append(timed(result, started))
        except Exception as exc:
            progress(f"{number}. {title}: could not run ({exc.__class__.__name__}: {exc})")
            failed = Result(number, title)
            failed.notes.append(
                f"This benchmark could not run: {exc.__class__.__name__}: {exc}"[:500]
            )
            results.append(timed(failed, started))

    async def one(work: Awaitable[Result]) -> list[Result]:
        return [await work]

    if 3 in only:
        await guarded(3, "Signatures", asyncio.to_thread(lambda: [signatures.run()]))
    if only & {1, 5}:
        tls = TestCA.create(directory)
        async with running_sink(fanout.HOSTS, tls, slow=fanout.SLOW_HOSTS) as sink:
            if 1 in only:

                async def fan_out() -> list[Result]:
                    database_dir = directory / "fanout-db"
                    database_dir.mkdir()
                    async with fresh_database("sqlite", database_dir, "fanout") as database:
                        return [await fanout.run(directory, database, tls, sink)]

                await guarded(1, "Fan-out", fan_out())
            if 5 in only and postgres:
                await guarded(5, "Scale-out", one(scaleout.run(directory, tls, sink)))
    under_load: float | None = None
    if only & {2, 6}:

        async def inbox_and_pages() -> list[Result]:
            nonlocal under_load
            inbox_result, pages_result, figures = await inbox.run(directory, engines)
            under_load = figures.get("rss_under_inbox_load")
            return [r for n, r in ((2, inbox_result), (6, pages_result)) if n in only]

        await guarded(2, "Inbox and pages", inbox_and_pages())
    if 4 in only:
        await guarded(4, "Footprint", one(footprint.run(directory, under_load)))
    if 7 in only:
        await guarded(7, "Public pages at the size of real use", one(scale.run(directory)))
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
