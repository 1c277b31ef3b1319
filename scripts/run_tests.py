"""`make test`: the whole suite on SQLite (measuring coverage, which must not fall below the
floor in `pyproject.toml`) and the storage suite again on PostgreSQL, the two side by side
(each engine's tests wait on servers and the database as much as on the CPU, so two runs at
once take not much longer than the longer one; `--serial` runs them one after the other).
The large demo network is built once for both runs (`tests.large_network`), in the directory
this script hands them; each test's empty database is a copy of a template (`tests.databases`);
the command line's tests fork it ready-imported (`tests.commands`). On this 2-core machine the
two runs side by side took 20.9 and 20.7 minutes on 2026-12-07 (AMD EPYC), against 30.3 and
29.4 minutes the same morning before the templates and the forking. The interoperability
suites (`--interop`: each starts its own Fedify peer and servers, on ports the system picks)
run side by side too.

Without a reachable PostgreSQL the second run is skipped with a plain message, unless CI=true,
where a missing PostgreSQL is a failure: CI must never pass by skipping an engine.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile

from tests.databases import POSTGRES_URL, postgres_reachable
from tests.large_network import SHARED_DIRECTORY

BANNER = "=" * 78
INTEROP = ("-m", "", "tests/interop", "tests/integration/test_real_world_payloads.py")
# (SQLite run, PostgreSQL run): everything, then everything that touches storage; or, with
# --interop, the interoperability suite on both engines. Each engine's run has two worker
# processes (pytest-xdist), a test file each at a time: the tests wait on servers, browsers
# and subprocesses, so four processes keep both cores busy where two left a quarter idle.
COVERAGE = ("--cov", "--cov-report=term", "--cov-report=json:.coverage.json")
WORKERS = ("-n", "2", "--dist", "loadfile", "--durations=25")  # the slowest, for CI's time
SUITES = {
    "all": ((*WORKERS, *COVERAGE), (*WORKERS, "-m", "db and not interop and not large")),
    "interop": (INTEROP, INTEROP),
}


def pytest(env_overrides: dict[str, str], *args: str) -> int:
    env = {**os.environ, **env_overrides}
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)  # noqa: S603


def side_by_side(first: tuple[str, ...], second: tuple[str, ...]) -> int:
    """Both engines at once; each run's output is shown whole when both are done."""
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for engine, args in (("sqlite", first), ("postgresql", second)):
            log = open(os.path.join(scratch, engine), "w+b")  # noqa: SIM115 - closed below
            process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "pytest", *args],
                env={**os.environ, "HAMBASTEGI_TEST_DATABASE": engine},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            runs.append((engine, process, log))
        statuses = []
        for number, (engine, process, log) in enumerate(runs, start=1):
            statuses.append(process.wait())
            log.seek(0)
            title = "SQLite" if engine == "sqlite" else "PostgreSQL (the tests that use storage)"
            print(f"{BANNER}\nStorage engine {number} of 2: {title}\n{BANNER}", flush=True)
            sys.stdout.buffer.write(log.read())
            sys.stdout.flush()
            log.close()
    return next((status for status in statuses if status != 0), 0)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="hambastegi-large-") as shared:
        os.environ[SHARED_DIRECTORY] = shared  # both engines' runs copy one large network
        return run(argv)


def run(argv: list[str]) -> int:
    first, second = SUITES["interop" if "--interop" in argv else "all"]
    if "--serial" not in argv and asyncio.run(postgres_reachable()):
        return side_by_side(first, second)
    print(f"{BANNER}\nStorage engine 1 of 2: SQLite\n{BANNER}", flush=True)
    status = pytest({"HAMBASTEGI_TEST_DATABASE": "sqlite"}, *first)
    if status != 0:
        return status
    print(
        f"{BANNER}\nStorage engine 2 of 2: PostgreSQL (the tests that use storage)\n{BANNER}",
        flush=True,
    )
    if not asyncio.run(postgres_reachable()):
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}"
        if os.environ.get("CI", "").lower() == "true":
            print(f"FAILED: {message}; under CI the PostgreSQL suite is required.", file=sys.stderr)
            return 1
        print(f"SKIPPED: the PostgreSQL suite did not run ({message}).", file=sys.stderr)
        return 0
    return pytest({"HAMBASTEGI_TEST_DATABASE": "postgresql"}, *second)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
