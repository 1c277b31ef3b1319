"""The `hambastegi` command in a process of its own, started quickly.

`command(env, *args)` runs `main(args)` in a new process with exactly `env` as its environment,
the text given as its stdin, and its stdout, stderr and exit status captured: what a user's
shell gives it. The process is forked from a server process that has already imported the
command (multiprocessing's forkserver), so each run skips the second of imports that a fresh
interpreter pays; the suite runs the command about a hundred times per engine. Tests of
`python -m hambastegi` itself, and of the long-running `serve`, still exec a new interpreter.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from cli.main import main

PRELOAD = ["cli.main"]


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def command(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `hambastegi ARGS` in its own process; raises `subprocess.TimeoutExpired` if it
    is still running after `timeout` seconds (it is killed first)."""
    with tempfile.TemporaryDirectory(prefix="hambastegi-cli-") as scratch:
        out, err = Path(scratch, "stdout"), Path(scratch, "stderr")
        process = _context().Process(
            target=_main, args=(dict(env), list(args), stdin or "", str(out), str(err))
        )
        process.start()
        try:
            process.join(timeout)
            if process.exitcode is None:
                process.kill()
                process.join()
                raise subprocess.TimeoutExpired(["hambastegi", *args], timeout)
            status = process.exitcode
        finally:
            process.close()
        return subprocess.CompletedProcess(
            ["hambastegi", *args],
            status,
            out.read_text(encoding="utf-8") if out.exists() else "",
            err.read_text(encoding="utf-8") if err.exists() else "",
        )


def _main(env: dict[str, str], args: list[str], stdin: str, out: str, err: str) -> None:
    """In the new process: the environment, standard streams and arguments a shell gives."""
    os.environ.clear()
    os.environ.update(env)
    status = 1
    with open(out, "w", encoding="utf-8") as stdout, open(err, "w", encoding="utf-8") as stderr:
        sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), stdout, stderr
        sys.argv = ["hambastegi", *args]
        try:
            status = main(args)
        except SystemExit as exit_:  # argparse's usage errors
            status = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            stdout.flush()
            stderr.flush()
    sys.exit(status)
