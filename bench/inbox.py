"""Benchmarks 2 and 6, and the footprint under load: `hambastegi serve --web-only` in its own
process, wrk (another process) sending signed activities from many distinct actors, each
activity once (202 only after commit); in the same run, bare Starlette under the same uvicorn
settings with the same requests. Then pages (actor and permalink, HTML and JSON) on the same
server against the bare endpoint."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from actors.directory import NewActor, create_local_actor
from actors.models import ActorKind
from bench import fedify
from bench.common import (
    Cores,
    CpuUse,
    LoadResult,
    Result,
    Row,
    busy_core_speed,
    environment,
    free_port,
    fresh_database,
    measuring_cpu,
    progress,
    rss_mb,
    settings_for,
    stop_process,
    wait_for_http,
    write_requests,
    wrk,
)
from content.mediastore import MediaStore
from core.config import Settings
from federation.keys import (
    SigningKey,
    generate_private_key,
    load_private_key,
    private_key_to_pem,
    public_key_to_pem,
)
from federation.signatures import sign_request
from hambastegi.wiring import instance_services
from inbox.models import ReceivedActivity, ReceivedState
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.posts import create_post

ACTORS = 100
ACTIVITIES = 10_000
CONNECTIONS = 200
AS = "application/activity+json"


# -- the remote actors -------------------------------------------------------------------------


def _new_key(_: int) -> bytes:
    return private_key_to_pem(generate_private_key())


@dataclass(frozen=True)
class Peer:
    port: int
    keys: list[bytes]  # private PEMs, one per actor

    def actor(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/users/a{n}"


@asynccontextmanager
async def running_peer(pool: ProcessPoolExecutor) -> AsyncIterator[Peer]:
    """A server publishing ACTORS actors and their keys (fetched once, on first sight)."""
    loop = asyncio.get_running_loop()
    keys = list(
        await asyncio.gather(*(loop.run_in_executor(pool, _new_key, n) for n in range(ACTORS)))
    )
    peer = Peer(free_port(), keys)
    publics = [public_key_to_pem(load_private_key(k)) for k in keys]

    async def actor(request: Request) -> Response:
        n = int(request.path_params["n"])
        uri = peer.actor(n)
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": f"a{n}",
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": publics[n]},
        }
        return Response(orjson.dumps(document), media_type=AS)

    app = Starlette(routes=[Route("/users/a{n:int}", actor)])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=peer.port, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield peer
    finally:
        server.should_exit = True
        await task


# -- signed requests, made in advance -------------------------------------------------------------


def _sign_batch(args: tuple[int, str, bytes, str, list[int]]) -> list[bytes]:
    """Raw HTTP requests: Create(Note) activities by one actor, each signed for our inbox."""
    port, actor, key_pem, target, numbers = args
    key = SigningKey(f"{actor}#main-key", load_private_key(key_pem))
    now = datetime.now(UTC)
    url = f"http://127.0.0.1:{port}/inbox"
    out = []
    for n in numbers:
        note = {
            "id": f"{actor}/statuses/{n}",
            "type": "Note",
            "attributedTo": actor,
            "content": "<p>Solidarity with the striking workers. همبستگی با کارگران اعتصابی.</p>"
            * 4,
            "published": now.isoformat().replace("+00:00", "Z"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [f"{actor}/followers", target],
            "tag": [{"type": "Mention", "href": target}],
        }
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/statuses/{n}/activity",
            "type": "Create",
            "actor": actor,
            "published": note["published"],
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
        body = orjson.dumps(activity)
        headers = sign_request(key, "POST", url, body, now)
        lines = ["POST /inbox HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Type: {AS}"]
        lines += [f"{k.title()}: {v}" for k, v in headers.items() if k.lower() != "host"]
        lines.append(f"Content-Length: {len(body)}")
        out.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return out


async def signed_requests(
    pool: ProcessPoolExecutor, peer: Peer, port: int, target: str, total: int, first: int = 0
) -> list[bytes]:
    """`total` requests spread over the actors; request k is by actor k % ACTORS."""
    loop = asyncio.get_running_loop()
    jobs = []
    for a in range(ACTORS):
        numbers = list(range(first + a, first + total, ACTORS))
        jobs.append(
            loop.run_in_executor(
                pool, _sign_batch, (port, peer.actor(a), peer.keys[a], target, numbers)
            )
        )
    batches = await asyncio.gather(*jobs)
    by_actor = [iter(b) for b in batches]
    return [next(by_actor[k % ACTORS]) for k in range(total)]


# -- servers -------------------------------------------------------------------------------------


@dataclass
class Server:
    process: asyncio.subprocess.Process
    port: int
    started_in: float


@asynccontextmanager
async def serving(command: list[str], env: dict[str, str], port: int) -> AsyncIterator[Server]:
    """The server's log goes to a file, never to a pipe nobody reads while it serves (a full
    pipe would stop the server at its next log line); its end is shown if it does not start."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log
        )
        try:
            waiting = asyncio.ensure_future(wait_for_http(port))
            exited = asyncio.ensure_future(process.wait())
            await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
            if not waiting.done() or waiting.exception() is not None:
                waiting.cancel()
                log.seek(0)
                errors = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"{' '.join(command)} did not start: {errors}")
            exited.cancel()
            yield Server(process, port, time.perf_counter() - started)
        finally:
            await stop_process(process)


def hambastegi_command(port: int, *, web_only: bool, processes: int = 1) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "hambastegi",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    command += ["--workers", str(processes)] if processes > 1 else []
    return command + (["--web-only"] if web_only else [])


def bare_command(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.bare", "--port", str(port)]


@contextmanager
def sampling_rss(pid: int, peak: list[float]) -> Iterator[None]:
    """Record the peak resident memory of `pid` while the block runs."""

    async def sample() -> None:
        while True:
            peak[0] = max(peak[0], rss_mb(pid))
            await asyncio.sleep(0.1)

    task = asyncio.get_event_loop().create_task(sample())
    try:
        yield
    finally:
        task.cancel()


# -- the benchmark -------------------------------------------------------------------------------


async def prepare(settings: Settings) -> str:
    """Our organisation (public, so its pages can be fetched unsigned) and one post."""
    async with instance_services(settings) as svc:
        async with svc.db.transaction() as session:
            org = await create_local_actor(
                session,
                svc.uris,
                svc.clock,
                svc.settings.secret_key,
                MediaStore(svc.settings.media_dir),
                NewActor(
                    "union",
                    ActorKind.organization,
                    display_name="Oil workers",
                    safety_profile=False,
                ),
            )
        post = await create_post(
            svc,
            org,
            Draft(
                kind=PostKind.note, language="fa", body="اعتصاب کارگران پالایشگاه ادامه دارد #نفت"
            ),
        )
    return post.public_id


@dataclass
class InboxRun:
    engine: str
    load: LoadResult
    stored: int
    peak_rss: float
    started_in: float
    cpu: CpuUse  # during the measured burst
    processed: Processed | None = None  # one `hambastegi worker`, after the burst


async def inbox_run(
    directory: Path,
    engine: str,
    port: int,
    warmup: Path,
    measured: Path,
    pages: dict[str, str] | None,
    processes: int = 1,
    synchronous: str = "normal",
    process: bool = True,
) -> tuple[InboxRun, dict[str, LoadResult]]:
    name = f"inbox_{engine}_{processes}_{synchronous}"
    async with fresh_database(engine, directory, name) as database:
        settings = settings_for(
            database,
            directory / name,
            f"http://127.0.0.1:{port}",
            sqlite_synchronous=synchronous,
        )
        public_id = await prepare(settings)
        env = environment(settings)
        command = hambastegi_command(port, web_only=True, processes=processes)
        async with serving(command, env, port) as server:
            async with instance_services(settings) as svc:

                async def stored() -> int:
                    async with svc.db.reader() as session:
                        count = await session.scalar(
                            select(func.count()).select_from(ReceivedActivity)
                        )
                    return count or 0

                await wrk(
                    f"http://127.0.0.1:{port}/inbox",
                    connections=20,
                    seconds=60,
                    requests_file=warmup,
                    cycle=False,
                    done=stored,
                    expected=ACTORS,
                )
                before = await stored()

                async def stored_since() -> int:
                    return await stored() - before

                peak = [0.0]
                with (
                    sampling_rss(server.process.pid, peak),
                    measuring_cpu(server.process.pid) as cpu,
                ):
                    load = await wrk(
                        f"http://127.0.0.1:{port}/inbox",
                        connections=CONNECTIONS,
                        seconds=120,
                        requests_file=measured,
                        cycle=False,
                        done=stored_since,
                        expected=ACTIVITIES,
                    )
                stored_count = await stored() - before
            processed: Processed | None = None
            if processes == 1 and process:
                progress(f"2. inbox on {engine}: one worker processes what was accepted")
                processed = await process_backlog(env, settings)
            page_loads: dict[str, LoadResult] = {}
            for name, path in (pages or {}).items():
                progress(f"6. pages: {name}")
                page_file = directory / f"page_{len(page_loads)}.req"
                write_requests(page_file, [path_request(port, path.format(post=public_id), name)])
                page_loads[name] = await wrk(
                    f"http://127.0.0.1:{port}/", connections=50, seconds=3, requests_file=page_file
                )
    run = InboxRun(engine, load, stored_count, peak[0], server.started_in, cpu, processed)
    return run, page_loads


@dataclass(frozen=True)
class Processed:
    per_second: float  # from its first committed batch to the backlog's end
    activities: int  # all it processed
    started_in: float | None  # exec to its first committed batch (not in the rate); None: in it


async def process_backlog(env: dict[str, str], settings: Settings) -> Processed:
    """Start one `hambastegi worker` on the accepted backlog; the rate is what it processed
    (handlers run, each activity's effect committed) from its first committed batch until the
    backlog was done (or stopped shrinking for 10 s, or 300 s passed). The interpreter's start
    before that first batch is reported apart, as the web server's start is not part of the
    intake rate either (that is measured on a running server, after a warm-up)."""
    async with instance_services(settings) as svc:

        async def waiting() -> int:
            async with svc.db.reader() as session:
                count = await session.scalar(
                    select(func.count())
                    .select_from(ReceivedActivity)
                    .where(ReceivedActivity.state == ReceivedState.received)
                )
            return count or 0

        backlog = await waiting()
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hambastegi", "worker",
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        started = time.perf_counter()
        first: tuple[float, int] | None = None  # when the first batch was seen, what was left
        last, last_change = backlog, started
        try:
            while time.perf_counter() - started < 300:
                await asyncio.sleep(0.05)
                now_waiting = await waiting()
                if now_waiting != last:
                    last, last_change = now_waiting, time.perf_counter()
                    first = first or (last_change, now_waiting)
                if now_waiting == 0 or time.perf_counter() - last_change > 10:
                    break
        finally:
            worker.terminate()
            await worker.wait()
    if first is None or first[1] == last:  # nothing, or all of it at once: time it from exec
        return Processed((backlog - last) / max(last_change - started, 1e-9), backlog - last, None)
    first_seen, left = first
    return Processed(
        (left - last) / (last_change - first_seen), backlog - last, first_seen - started
    )


def path_request(port: int, path: str, name: str) -> bytes:
    accept = AS if "JSON" in name else "text/html"
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\n\r\n".encode()


PAGES = {
    "actor page, HTML": "/actors/union",
    "actor, JSON": "/actors/union",
    "permalink, HTML": "/objects/{post}",
    "permalink, JSON": "/objects/{post}",
}


async def run(directory: Path, engines: list[str]) -> tuple[Result, Result, dict[str, float]]:
    inbox = Result(2, "Inbox: signed activities durably accepted")
    pages = Result(6, "Pages")
    footprint: dict[str, float] = {}
    port = free_port()
    with ProcessPoolExecutor(max_workers=2) as pool:
        progress(f"2. inbox: {ACTORS} remote actors and {ACTIVITIES:,} signed activities")
        async with running_peer(pool) as peer:
            target = f"http://127.0.0.1:{port}/actors/union"
            warmup = directory / "warmup.req"
            measured = directory / "measured.req"
            write_requests(
                warmup, await signed_requests(pool, peer, port, target, ACTORS, first=10**6)
            )
            write_requests(measured, await signed_requests(pool, peer, port, target, ACTIVITIES))
            bare_port = free_port()
            progress("2. inbox: how fast a core runs while both are busy")
            core_speed = busy_core_speed()
            runs = []
            two_processes: dict[str, InboxRun] = {}
            durable: InboxRun | None = None
            bares: dict[str, tuple[LoadResult, CpuUse]] = {}
            theirs: dict[str, FedifyRun] = {}
            fedify_missing: str | None = None
            for engine in engines:
                progress(f"2. inbox on {engine}: ours")
                run_, page_loads = await inbox_run(
                    directory, engine, port, warmup, measured, PAGES if engine == "sqlite" else None
                )
                runs.append(run_)
                if engine == "sqlite":
                    footprint["rss_under_inbox_load"] = run_.peak_rss
                    ours_pages = page_loads
                progress(f"2. inbox on {engine}: bare Starlette, same requests (in turn)")
                bares[engine] = await bare_inbox(directory, measured, port, bare_port)
                if fedify_missing is None:
                    progress(
                        f"2. inbox on {engine}: Fedify {fedify.VERSION}, same requests (in turn)"
                    )
                    try:
                        theirs[engine] = await fedify_inbox(warmup, measured, port)
                    except Exception as exc:
                        fedify_missing = f"{exc.__class__.__name__}: {exc}"[:400]
                        progress(f"2. inbox: Fedify could not run ({fedify_missing}); left out")
                progress(f"2. inbox on {engine}: two web processes (`serve --workers 2`)")
                two_processes[engine], _pages = await inbox_run(
                    directory, engine, port, warmup, measured, None, processes=2
                )
                if engine == "sqlite":
                    progress("2. inbox on sqlite: synchronous=FULL (in turn)")
                    durable, _pages = await inbox_run(
                        directory, engine, port, warmup, measured, None,
                        synchronous="full", process=False,
                    )  # fmt: skip
            assert runs[0].engine == "sqlite"
            env = dict(os.environ)
            async with serving(bare_command(bare_port), env, bare_port):
                progress("6. pages: bare Starlette")
                hello = directory / "hello.req"
                write_requests(
                    hello, [f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{bare_port}\r\n\r\n".encode()]
                )
                bare_page = await wrk(
                    f"http://127.0.0.1:{bare_port}/", connections=50, seconds=3, requests_file=hello
                )
    for r in runs:
        bare, bare_cpu = bares[r.engine]
        ours_ms = r.cpu.per_request_ms(r.load.requests)
        bare_ms = bare_cpu.per_request_ms(bare.requests)
        ours_cores, bare_cores = r.cpu.cores(r.load), bare_cpu.cores(bare)
        if r.processed is not None:
            done = r.processed
            inbox.rows.append(
                Row(
                    f"{r.engine}: signed activities accepted and processed/s, one worker, "
                    "vs accepted/s",
                    done.per_second,
                    "/s",
                    r.load.per_second,
                    "our own intake rate, same activities, same run",
                    "≥ 0.8×",
                    done.per_second >= 0.8 * r.load.per_second,
                    if_missed=f"{done.activities:,} activities (each a Create(Note) that "
                    "mentions our organisation, so each is kept and its effect committed) were "
                    "processed after the burst by one `hambastegi worker`, in fast-lane "
                    "transactions of many activities each: the questions about the senders "
                    "asked once per transaction, no savepoint per activity, the new posts "
                    "written in one statement and the processed marks in another. That is "
                    f"{1000 / max(done.per_second, 1e-9):.2f} ms per activity in this run, "
                    f"against {1000 / max(r.load.per_second, 1e-9):.2f} ms to accept one; "
                    "what is left is CPU in our one process: parsing, checking and sanitising "
                    "each activity. Closing it needs more worker processes on more cores.",
                )
            )
            inbox.notes.append(
                f"{r.engine}, processing: one `hambastegi worker` started on the "
                f"{done.activities:,} accepted activities and committed its first batch "
                f"{done.started_in:.2f} s after exec (its start, not counted in the rate); "
                "the rate runs from that batch to the last."
                if done.started_in is not None
                else f"{r.engine}, processing: one `hambastegi worker` processed the "
                f"{done.activities:,} accepted activities, timed from its exec."
            )
        inbox.rows += [
            Row(
                f"{r.engine}: activities accepted/s vs bare Starlette",
                r.load.per_second,
                "/s",
                bare.per_second,
                "bare Starlette, same uvicorn settings, same requests",
                "≥ 0.25×",
                r.load.per_second >= 0.25 * bare.per_second,
                if_missed="The bare endpoint ignores the body; ours verifies the RSA signature "
                "and digest, parses and checks the JSON and the origin rules, and commits the "
                "activity before it answers. Measured from /proc in this run, the server "
                f"spent {ours_ms:.3f} ms of CPU on each activity ({_database_part(r)}), "
                f"bare Starlette {bare_ms:.3f} ms on each "
                f"request; ours kept {ours_cores.server:.2f} cores busy, the bare one "
                f"{bare_cores.server:.2f}, wrk {ours_cores.load:.2f} and {bare_cores.load:.2f}. "
                "shared/reference/"
                "security-reliability-performance.md cites a minimal verify-and-group-commit "
                "endpoint at 0.24–0.26× bare Starlette on this kind of machine (3,460 against "
                "13,400–14,800 requests/s): the target asks a full inbox to be as fast as that. "
                "The inbox already skips the page middleware and the router. What would close "
                "it: more web processes behind one address (the row with two processes), on a "
                "machine where they have cores of their own.",
            ),
            Row(
                f"{r.engine}: p99 latency at {CONNECTIONS} connections",
                r.load.p99_ms,
                "ms",
                bare.p99_ms,
                "bare Starlette p99",
                "≤ 100 ms",
                r.load.p99_ms <= 100,
                higher_is_better=False,
                if_missed=f"At {CONNECTIONS} open connections a request mostly waits its turn: "
                "the mean latency is at least connections ÷ throughput (Little's law), "
                f"{1000 * CONNECTIONS / max(r.load.per_second, 1e-9):.0f} ms at this run's "
                f"{r.load.per_second:,.0f}/s, and each request also waits for the group "
                "commit its activity joins. The bare endpoint's own p99 was "
                f"{bare.p99_ms:.0f} ms here. More throughput (more web processes, or cores) "
                "brings it down.",
            ),
        ]
        their = theirs.get(r.engine)
        if their is not None:
            inbox.rows.append(
                Row(
                    f"{r.engine}: activities accepted/s vs Fedify {fedify.VERSION}",
                    r.load.per_second,
                    "/s",
                    their.load.per_second,
                    f"Fedify {fedify.VERSION}, its PostgreSQL store and queue, same signed "
                    "requests, in turns",
                    "≥ 5×",
                    r.load.per_second >= 5 * their.load.per_second,
                    if_missed="Fedify verifies the same signatures and queues each activity "
                    "in PostgreSQL before it answers; ours commits each to the database too.",
                )
            )
            inbox.notes.append(
                f"Fedify {fedify.VERSION} ({r.engine} round; bench/fedify/server.mjs, Node 22, "
                "@fedify/postgres 1.8.7 for its key-value store and message queue): "
                f"{their.load.answered:,} answers counted by wrk, {their.accepted:,} "
                f"POSTs answered 2xx by its own count within {their.load.seconds:.1f} s (a "
                "request wrk sends again after its 10 s timeout is answered again), "
                f"{their.load.bad_status} non-2xx answers, {their.processed:,} of them "
                "processed by its queue (in the same process, alongside) by the end; "
                f"p99 {their.load.p99_ms:.0f} ms."
            )
        elif fedify_missing is not None:
            inbox.notes.append(f"The Fedify comparison could not run: {fedify_missing}")
        if r.engine == "sqlite" and durable is not None:
            inbox.rows.append(
                Row(
                    "sqlite: activities accepted/s with synchronous=FULL vs NORMAL (the default)",
                    durable.load.per_second,
                    "/s",
                    r.load.per_second,
                    "synchronous=NORMAL, same requests, same run",
                )
            )
            inbox.notes.append(
                f"sqlite, synchronous=FULL (`HAMBASTEGI_SQLITE_SYNCHRONOUS=full`): "
                f"{durable.load.answered:,} answers counted by wrk, {durable.stored:,} "
                f"activities stored, {durable.load.bad_status} non-2xx answers. With NORMAL "
                "(WAL) a commit survives the process crashing; a power cut can lose the last "
                "commits. FULL syncs every commit to disk."
            )
        two = two_processes.get(r.engine)
        if two is not None:
            two_cores = two.cpu.cores(two.load)
            inbox.rows.append(
                Row(
                    f"{r.engine}: inbox with 2 web processes (`serve --workers 2`) vs one",
                    two.load.per_second,
                    "/s",
                    r.load.per_second,
                    "one process, same requests, same run",
                    "≥ 1.4×",
                    two.load.per_second >= 1.4 * r.load.per_second,
                    if_missed=f"Measured from /proc in this run: the two processes kept "
                    f"{two_cores.server:.2f} cores busy (one process: {ours_cores.server:.2f}), "
                    f"wrk {two_cores.load:.2f}{_database_cores(r.engine, two_cores)}; "
                    f"{two_cores.idle:.2f} "
                    f"of the machine's {os.cpu_count()} cores stood idle, and a core ran "
                    f"Python at {core_speed:.2f}× its lone speed while both were busy. Each "
                    f"activity took {two.cpu.per_request_ms(two.load.requests):.3f} ms of the "
                    f"processes' CPU, against {ours_ms:.3f} ms in one. "
                    + _what_holds_back(r.engine, two_cores.idle),
                )
            )
            inbox.notes.append(
                f"{r.engine}, 2 processes: {two.load.answered:,} answers counted by wrk, "
                f"{two.stored:,} activities stored, {two.load.bad_status} non-2xx answers."
            )
        inbox.notes.append(
            f"{r.engine}: {r.load.answered:,} answers counted by wrk, "
            f"{r.load.requests:,} activities durably stored within {r.load.seconds:.1f} s, "
            f"{r.stored:,} activities stored, {r.load.bad_status} non-2xx answers, "
            f"{r.load.socket_errors} socket errors; median latency {r.load.p50_ms:.0f} ms; "
            f"server CPU {ours_ms:.3f} ms per activity ({ours_cores.server:.2f} cores busy, "
            f"wrk {ours_cores.load:.2f}{_database_cores(r.engine, ours_cores)}); bare Starlette "
            f"{bare_ms:.3f} ms per request ({bare_cores.server:.2f} cores, wrk "
            f"{bare_cores.load:.2f})."
        )
    inbox.notes.append(
        f"{ACTORS} distinct remote actors, keys fetched once in a warm-up round and cached; "
        f"each Create(Note) ({mean_body_bytes(measured) / 1000:.2f} kB of body on average, "
        "signed with draft-cavage RSA-SHA256 and a digest) is "
        "sent exactly once, so every one is verified and committed. One uvicorn process "
        "(`hambastegi serve --web-only`); wrk with 2 threads on the same 2 cores."
    )
    for name, load in ours_pages.items():
        pages.rows.append(
            Row(
                f"{name}: requests/s vs bare endpoint",
                load.per_second,
                "/s",
                bare_page.per_second,
                "bare Starlette hello, same uvicorn settings",
            )
        )
    pages.notes.append(
        "SQLite; wrk, 50 connections, 3 s each; the page cache on (its default, 10 s): "
        "benchmark 7 compares rendering with and without it."
    )
    footprint["started_in"] = runs[0].started_in
    return inbox, pages, footprint


@dataclass(frozen=True)
class FedifyRun:
    load: LoadResult
    accepted: int
    processed: int


async def fedify_inbox(warmup: Path, measured: Path, port: int) -> FedifyRun:
    """Fedify on our port (so the signatures, which cover the Host, hold), with its PostgreSQL
    store and queue: the same warm-up (its key cache) and the same signed requests; timed until
    it had answered 2xx to all of them."""
    async with fedify.running_fedify(port, durable=True) as server:

        async def accepted() -> int:
            return (await server.counts())[0]

        url = f"http://127.0.0.1:{port}/inbox"
        await wrk(
            url, connections=20, seconds=60, requests_file=warmup, cycle=False,
            done=accepted, expected=ACTORS,
        )  # fmt: skip
        before, processed_before = await server.counts()

        async def accepted_since() -> int:
            return await accepted() - before

        load = await wrk(
            url, connections=CONNECTIONS, seconds=120, requests_file=measured, cycle=False,
            done=accepted_since, expected=ACTIVITIES,
        )  # fmt: skip
        after, processed_after = await server.counts()
    return FedifyRun(load, after - before, processed_after - processed_before)


async def bare_inbox(
    directory: Path, measured: Path, port: int, bare_port: int
) -> tuple[LoadResult, CpuUse]:
    """Bare Starlette answering the same signed requests (its turn beside one of ours)."""
    async with serving(bare_command(bare_port), dict(os.environ), bare_port) as server:
        with measuring_cpu(server.process.pid) as cpu:
            load = await wrk(
                f"http://127.0.0.1:{bare_port}/inbox",
                connections=CONNECTIONS,
                seconds=5,
                requests_file=measured_for(directory, measured, port, bare_port),
            )
    return load, cpu


def _database_cores(engine: str, cores: Cores) -> str:
    """PostgreSQL's processes, when it is the database (SQLite runs inside ours)."""
    return "" if engine == "sqlite" else f", PostgreSQL {cores.database:.2f}"


def _what_holds_back(engine: str, idle_cores: float) -> str:
    """Why a second web process adds little, from what the run measured."""
    if idle_cores < 0.25:
        return (
            "The machine's cores were in use (ours, wrk's and the database's): the second "
            "process has no core of its own here. On a machine with a core to spare for "
            "each process, each adds about one core's worth."
        )
    if engine == "sqlite":
        return (
            "With cores to spare, the processes wait: SQLite lets one process write at a "
            "time, and one that finds the lock held sleeps and tries again (its busy "
            "handler) while the other commits batch after batch."
        )
    return (
        "With cores to spare, the processes wait on the database: each commits its batches "
        "one after another, and each commit waits for PostgreSQL's write-ahead log to reach "
        "the disk."
    )


def _database_part(run: InboxRun) -> str:
    if run.engine == "sqlite":
        return "the database's work included: SQLite runs in the process"
    per = 1000 * run.cpu.database / run.load.requests if run.load.requests else 0.0
    return f"PostgreSQL's processes {per:.3f} ms besides"


def mean_body_bytes(requests_file: Path) -> float:
    """The average body size of the requests in a request file (NUL-separated raw HTTP)."""
    bodies = [
        len(raw.split(b"\r\n\r\n", 1)[1])
        for raw in requests_file.read_bytes().split(b"\0")
        if b"\r\n\r\n" in raw
    ]
    return sum(bodies) / len(bodies) if bodies else 0.0


def measured_for(directory: Path, measured: Path, port: int, bare_port: int) -> Path:
    """The same requests, addressed to the bare server's port."""
    out = directory / "bare_measured.req"
    out.write_bytes(
        measured.read_bytes().replace(
            f"Host: 127.0.0.1:{port}".encode(), f"Host: 127.0.0.1:{bare_port}".encode()
        )
    )
    return out
