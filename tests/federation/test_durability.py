"""Faults that must lose nothing: a worker killed with SIGKILL in the middle of a fan-out.

"Nothing lost" means: every inbox receives the activity at least once, every delivery row ends
`delivered`, and the duplicates (deliveries in flight or unrecorded at the kill) stay bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outbox.enqueue import enqueue
from outbox.models import Delivery, DeliveryState
from tests.factories import make_actor
from tests.harness import Instance, asgi_instance, eventually
from tests.peer import Peer

pytestmark = pytest.mark.federation
INBOXES_PER_SERVER = 60
SERVERS = 4


def worker_process(instance: Instance, log: Path) -> subprocess.Popen[bytes]:
    settings = instance.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAMBASTEGI_")}
    env.update(
        {
            "HAMBASTEGI_BASE_URL": settings.base_url,
            "HAMBASTEGI_DATA_DIR": str(settings.data_dir),
            "HAMBASTEGI_DATABASE_URL": settings.database_url,
            "HAMBASTEGI_SECRET_KEY": settings.secret_key,
            "HAMBASTEGI_ALLOW_PRIVATE_NETWORK": "true",
            "HAMBASTEGI_POLL_SECONDS": "0.05",
            "HAMBASTEGI_LEASE_SECONDS": "5",
            "HAMBASTEGI_LOG_LEVEL": "warning",
        }
    )
    if settings.database_schema:
        env["HAMBASTEGI_DATABASE_SCHEMA"] = settings.database_schema
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "hambastegi", "worker"], env=env, stdout=output, stderr=output
        )


async def delivered_rows(instance: Instance) -> int:
    async with instance.svc.db.reader() as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.state == DeliveryState.delivered)
            )
            or 0
        )


async def test_a_fan_out_killed_mid_way_finishes_after_restart_with_every_inbox_delivered(
    tmp_path: Path,
) -> None:
    async with AsyncExitStack() as stack:
        instance = await stack.enter_async_context(asgi_instance(tmp_path))
        peers = [await stack.enter_async_context(Peer().running()) for _ in range(SERVERS)]
        for peer in peers:
            peer.inbox_delay = 0.1
        union = await make_actor(instance.svc, "union")
        inboxes = [
            f"{p.base_url}/users/u{i}/inbox" for p in peers for i in range(INBOXES_PER_SERVER)
        ]
        async with instance.svc.db.transaction() as session:
            await enqueue(
                session,
                instance.svc,
                union,
                {
                    "type": "Create",
                    "actor": union.uri,
                    "object": {"id": f"{union.uri}/n", "type": "Note"},
                },
                inboxes,
            )

        log = tmp_path / "worker.log"
        first = worker_process(instance, log)

        def received() -> int:
            return sum(len(p.deliveries()) for p in peers)

        while received() < 40:
            assert first.poll() is None, log.read_text()
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = received()
        second = worker_process(instance, log)
        try:
            done = await eventually(
                lambda: delivered_rows(instance), until=lambda n: n == len(inboxes), timeout=60
            )
        finally:
            second.terminate()
            second.wait(timeout=10)

    sent = [f"{p.base_url}{r.path}" for p in peers for r in p.deliveries()]
    assert done == len(inboxes)
    assert at_kill < len(inboxes)  # the kill really interrupted the fan-out
    assert set(sent) == set(inboxes)  # every inbox got it
    assert len(sent) - len(inboxes) <= 64  # duplicates: at most what was in flight or unrecorded
