"""Benchmark 5: scale-out on PostgreSQL: 10,000 deliveries (1,000 TLS servers, 10 inboxes each)
with one and with two `hambastegi worker` processes sharing the queue; and whether one worker's
memory stays flat over ten fan-outs."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select

from actors.directory import NewActor, create_local_actor
from actors.models import ActorKind
from bench.common import (
    Result,
    Row,
    Sink,
    TestCA,
    environment,
    fresh_database,
    median,
    progress,
    rss_mb,
    settings_for,
    wait_until,
)
from content.mediastore import MediaStore
from core.config import Settings
from hambastegi.wiring import instance_services
from outbox.enqueue import enqueue
from outbox.models import Delivery, DeliveryState, OutboxActivity

DELIVERIES = 10_000
REPEATS = 2
MEMORY_FAN_OUTS = 10
MEMORY_DELIVERIES = 1_000


@asynccontextmanager
async def worker(settings: Settings) -> AsyncIterator[asyncio.subprocess.Process]:
    env = environment(settings, HAMBASTEGI_POLL_SECONDS="0.05")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hambastegi",
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    line = await asyncio.wait_for(process.stderr.readline(), timeout=60)
    if b"workers running" not in line:
        raise RuntimeError(f"the worker did not start: {line.decode()}")
    try:
        yield process
    finally:
        process.terminate()
        await process.wait()


async def fan_out(settings: Settings, sink: Sink, n: int, deliveries: int = DELIVERIES) -> float:
    """Queue `deliveries` deliveries of one activity; seconds until the last is recorded."""
    async with instance_services(settings) as svc:
        async with svc.db.transaction() as session:
            org = await create_local_actor(
                session,
                svc.uris,
                svc.clock,
                svc.settings.secret_key,
                MediaStore(svc.settings.media_dir),
                NewActor(f"org{n}", ActorKind.organization),
            )
        inboxes = [sink.inbox(k, f"/users/u{k}/inbox") for k in range(deliveries)]
        started = time.perf_counter()
        async with svc.db.transaction() as session:
            await enqueue(
                session,
                svc,
                org,
                {
                    "type": "Create",
                    "actor": org.uri,
                    "object": {"type": "Note", "id": f"{org.uri}/n{n}", "content": "x" * 1500},
                },
                inboxes,
            )
        async with svc.db.reader() as session:
            activity_id = await session.scalar(
                select(OutboxActivity.id).where(OutboxActivity.actor_id == org.id)
            )

        async def done() -> bool:
            async with svc.db.reader() as session:
                count = await session.scalar(
                    select(func.count())
                    .select_from(Delivery)
                    .where(
                        Delivery.activity_id == activity_id,
                        Delivery.state == DeliveryState.delivered,
                    )
                )
            return count == deliveries

        await wait_until(done, timeout=300, interval=0.05)
        return time.perf_counter() - started


async def run(directory: Path, tls: TestCA, sink: Sink) -> Result:
    result = Result(5, "Scale-out on PostgreSQL: one and two worker processes")
    times: dict[int, list[float]] = {1: [], 2: []}
    async with fresh_database("postgresql", directory, "scaleout") as database:
        settings = settings_for(
            database,
            directory / "scaleout",
            "http://127.0.0.1:8991",
            ca_bundle=tls.ca_file,
            run_workers=False,
        )
        n = 0
        for repeat in range(REPEATS):
            for workers in (1, 2):
                progress(
                    f"5. scale-out: {DELIVERIES:,} deliveries with {workers} worker(s), "
                    f"run {repeat + 1} of {REPEATS}"
                )
                async with AsyncExitStack() as stack:
                    for _ in range(workers):
                        await stack.enter_async_context(worker(settings))
                    times[workers].append(await fan_out(settings, sink, n))
                n += 1
        progress(f"5. worker memory: {MEMORY_FAN_OUTS} fan-outs of {MEMORY_DELIVERIES:,} inboxes")
        rss: list[float] = []
        async with worker(settings) as process:
            for k in range(MEMORY_FAN_OUTS):
                await fan_out(settings, sink, 1000 + k, MEMORY_DELIVERIES)
                await asyncio.sleep(0.5)  # the worker settles (its last outcomes written)
                rss.append(rss_mb(process.pid))
    one, two = median(times[1]), median(times[2])
    result.rows += [
        Row(
            "deliveries/s, two workers vs one",
            DELIVERIES / two,
            "/s",
            DELIVERIES / one,
            "one `hambastegi worker` process",
            "≥ 1.7×",
            one / two >= 1.7,
            if_missed="Two cores run both workers, PostgreSQL and the TLS sink, which is itself "
            "busy with handshakes: the second worker has no idle core. The workers share "
            "nothing but the queue (FOR UPDATE SKIP LOCKED), so on a machine with a core per "
            "worker the ratio should approach 2×; measure it there.",
        ),
    ]
    first, last = rss[0], rss[-1]
    result.rows.append(
        Row(
            f"fan-out worker: resident memory after {MEMORY_FAN_OUTS} fan-outs vs after the first",
            last,
            "MB",
            first,
            f"the same worker after its first fan-out of {MEMORY_DELIVERIES:,} inboxes",
            "≤ 1.2×",
            last <= 1.2 * first,
            higher_is_better=False,
            if_missed="The worker keeps something per delivery or per activity that it should "
            "let go of once the outcome is recorded.",
        )
    )
    result.notes.append(
        f"Worker memory: one `hambastegi worker` delivers {MEMORY_FAN_OUTS} activities one after "
        f"another, each to {MEMORY_DELIVERIES:,} TLS inboxes on 1,000 servers; its resident "
        "memory (from /proc) after each: " + ", ".join(f"{m:.0f}" for m in rss) + " MB."
    )
    result.notes.append(
        f"{DELIVERIES:,} deliveries of one activity to 1,000 TLS servers (10 inboxes each), "
        f"timed from queueing to the last outcome recorded; medians of {REPEATS} runs, "
        "alternating one and two workers. The workers, PostgreSQL and the sink share the "
        "machine's cores."
    )
    return result
