"""Fault drills. Each says what "nothing lost" means and checks it."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from actors.models import Actor, Follow, FollowState
from actors.resolver import resolve_handle
from core.clock import FrozenClock
from federation.signatures import sign_request
from hambastegi.workers import inbox_worker
from inbox.models import ReceivedActivity
from outbox.enqueue import enqueue
from outbox.follows import follow
from outbox.models import Delivery, DeliveryState
from outbox.worker import DeliveryWorker
from tests.databases import engine_under_test, fresh_database
from tests.factories import make_actor
from tests.faults import CuttableProxy, SkewedClock
from tests.harness import asgi_instance, eventually, free_socket, served_instance
from tests.integration.inbox_support import scene
from tests.peer import Peer

pytestmark = pytest.mark.federation


async def rows(instance: Any, model: Any = ReceivedActivity, *conditions: Any) -> int:
    async with instance.svc.db.reader() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def signed_follow(
    peer_actor: Any, base_url: str, target: str, n: int
) -> tuple[dict[str, str], bytes]:
    document = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer_actor.uri}/follows/{n}",
        "type": "Follow",
        "actor": peer_actor.uri,
        "object": target,
    }
    body = orjson.dumps(document)
    headers = sign_request(
        peer_actor.signing_key, "POST", f"{base_url}/inbox", body, datetime.now(UTC)
    )
    headers["content-type"] = "application/activity+json"
    return headers, body


async def test_a_web_process_killed_after_its_202_loses_nothing(tmp_path: Path) -> None:
    """Nothing lost: the activity acknowledged with 202 is processed, exactly once, by a worker
    started after the web process was killed with SIGKILL."""
    async with Peer().running() as peer, fresh_database(tmp_path, "web") as database:
        alice = peer.add_actor("alice")
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HAMBASTEGI_")}
        env.update(
            {
                "HAMBASTEGI_BASE_URL": base,
                "HAMBASTEGI_DATA_DIR": str(tmp_path / "web"),
                "HAMBASTEGI_DATABASE_URL": database.url,
                "HAMBASTEGI_ALLOW_PRIVATE_NETWORK": "true",
                "HAMBASTEGI_SECRET_KEY": "s" * 40,
                "HAMBASTEGI_LOG_LEVEL": "warning",
            }
        )
        if database.schema:
            env["HAMBASTEGI_DATABASE_SCHEMA"] = database.schema
        create = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "hambastegi", "actor", "create", "union"),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await create.communicate()
        assert create.returncode == 0, errors.decode()
        server = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "hambastegi", "serve", "--web-only", "--port", str(port)),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(base_url=base) as http:
                for _ in range(600):  # up to a minute on a busy machine
                    try:
                        await http.get("/.well-known/nodeinfo")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.1)
                headers, body = signed_follow(alice, base, f"{base}/actors/union", 1)
                accepted = await http.post("/inbox", content=body, headers=headers)
        finally:
            server.send_signal(signal.SIGKILL)
            await server.wait()
        assert accepted.status_code == 202

        from core.config import Settings
        from hambastegi.wiring import instance_services

        settings = Settings.for_tests(
            base_url=base,
            data_dir=tmp_path / "web",
            database_url=database.url,
            database_schema=database.schema,
            secret_key="s" * 40,
        )
        async with instance_services(settings) as svc:
            worker = inbox_worker(svc)
            await worker.run_once()
            await worker.run_once()  # a second pass must not process it again
            await DeliveryWorker(svc).run_once()
            async with svc.db.reader() as session:
                states = list(await session.scalars(select(ReceivedActivity.state)))
                follows = list(await session.scalars(select(Follow.state)))
        accepts = [r for r in peer.deliveries() if r.json()["type"] == "Accept"]

    assert states == ["processed"]
    assert follows == [FollowState.accepted]
    assert len(accepts) == 1


async def test_while_the_database_is_away_the_inbox_answers_503_never_202(tmp_path: Path) -> None:
    """Nothing lost: every activity answered 202 is stored and processed exactly once; every
    activity that was not stored got a 503 (and its sender will retry)."""
    if engine_under_test() == "postgresql":
        await _postgres_restarted_under_load(tmp_path)
    else:
        await _sqlite_busy_under_load(tmp_path)


async def _postgres_restarted_under_load(tmp_path: Path) -> None:
    """PostgreSQL goes away (every connection reset, new ones refused) and comes back."""
    from tests.databases import POSTGRES_URL, TestDatabase

    target = make_url(POSTGRES_URL)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        async with fresh_database(tmp_path, "db") as real:
            through_proxy = TestDatabase(url=str(target.set(port=proxy.port)), schema=real.schema)
            async with scene(tmp_path, database=through_proxy) as s:
                statuses: list[int] = []
                for phase, up in (("before", True), ("down", False), ("after", True)):
                    proxy.restore() if up else proxy.cut()
                    for n in range(10):
                        headers, body = signed_follow(
                            s.alice, s.instance.base_url, s.union_uri, len(statuses)
                        )
                        response = await s.instance.http.post(
                            "/inbox", content=body, headers=headers
                        )
                        statuses.append(response.status_code)
                        assert response.status_code == (202 if up else 503), (
                            phase,
                            n,
                            response.text,
                        )
                proxy.restore()
                await inbox_worker(s.instance.svc).run_once()
                stored = await rows(s.instance)
                processed = await rows(
                    s.instance, ReceivedActivity, ReceivedActivity.state == "processed"
                )
    finally:
        await proxy.close()

    assert statuses.count(202) == 20
    assert stored == 20
    assert processed == 20


async def _sqlite_busy_under_load(tmp_path: Path) -> None:
    async with scene(tmp_path) as s:
        path = make_url(s.instance.settings.database_url).database
        assert path is not None
        blocker = sqlite3.connect(path, timeout=30)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database

        async def send(n: int) -> int:
            headers, body = signed_follow(s.alice, s.instance.base_url, s.union_uri, n)
            return (await s.instance.http.post("/inbox", content=body, headers=headers)).status_code

        sending = [asyncio.create_task(send(n)) for n in range(20)]
        await asyncio.sleep(1.0)
        answered_early = [t for t in sending if t.done()]
        blocker.rollback()
        blocker.close()
        statuses = await asyncio.gather(*sending)
        await inbox_worker(s.instance.svc).run_once()

        assert answered_early == []  # nobody got a 202 before the commit could happen
        assert statuses == [202] * 20
        assert await rows(s.instance) == 20
        assert await rows(s.instance, ReceivedActivity, ReceivedActivity.state == "processed") == 20


async def test_a_peer_down_for_a_while_gets_everything_when_it_is_back(tmp_path: Path) -> None:
    """Nothing lost: deliveries to a server that refuses connections wait, with back-off, and are
    delivered once it answers again; nothing is retried in a tight loop meanwhile."""
    clock = FrozenClock(datetime.now(UTC))
    async with asgi_instance(tmp_path, clock=clock) as instance:
        union = await make_actor(instance.svc, "union")
        peer = Peer()
        port = peer.port
        peer.sock.close()  # the server is down: connections are refused
        inboxes = [f"http://127.0.0.1:{port}/users/u{n}/inbox" for n in range(5)]
        async with instance.svc.db.transaction() as session:
            await enqueue(
                session,
                instance.svc,
                union,
                {"type": "Create", "actor": union.uri, "object": f"{union.uri}/n"},
                inboxes,
            )
        worker = DeliveryWorker(instance.svc)
        await worker.run_once()
        await worker.run_once()  # not due yet: no new attempt
        async with instance.svc.db.reader() as session:
            waiting = list(
                await session.scalars(select(Delivery.attempts).where(Delivery.state == "pending"))
            )

        back = Peer(port=port)  # the same server, up again
        async with back.running():
            clock.advance(timedelta(minutes=2))
            await worker.run_once()
            received = sorted(r.path for r in back.deliveries())
        delivered = await rows(instance, Delivery, Delivery.state == DeliveryState.delivered)

    assert waiting == [1] * 5
    assert received == sorted(f"/users/u{n}/inbox" for n in range(5))
    assert delivered == 5


async def test_slow_peers_do_not_hold_up_the_others(tmp_path: Path) -> None:
    """Nothing lost, nobody waits: while one server takes 30 s to answer and another drips its
    answer one byte a second, every other server's deliveries complete; the slow ones are cut at
    the deadline and retried later. (How much they slow the others is measured in bench/.)"""
    async with asgi_instance(tmp_path, fetch_timeout=4.0, run_workers=False) as instance:
        union = await make_actor(instance.svc, "union")
        async with (
            Peer().running() as slow,
            Peer().running() as drip,
            Peer().running() as fast_a,
            Peer().running() as fast_b,
        ):
            slow.inbox_delay = 30
            drip.inbox_drip = True
            inboxes = [f"{p.base_url}/users/s{n}/inbox" for p in (slow, drip) for n in range(4)]
            inboxes += [
                f"{p.base_url}/users/f{n}/inbox" for p in (fast_a, fast_b) for n in range(20)
            ]
            async with instance.svc.db.transaction() as session:
                await enqueue(
                    session,
                    instance.svc,
                    union,
                    {"type": "Create", "actor": union.uri, "object": f"{union.uri}/n"},
                    inboxes,
                )
            stop = asyncio.Event()
            running = asyncio.create_task(DeliveryWorker(instance.svc).run(stop))
            fast_done = await eventually(
                lambda: rows(instance, Delivery, Delivery.state == DeliveryState.delivered),
                until=lambda n: n == 40,
                timeout=3.5,
            )
            slow_still_waiting = await rows(
                instance,
                Delivery,
                Delivery.domain.in_([slow.host, drip.host]),
                Delivery.state == DeliveryState.pending,
            )
            cut = await eventually(
                lambda: _attempted(instance, [slow.host, drip.host]),
                until=lambda n: n == 8,
                timeout=15,
            )
            stop.set()
            await running

    assert fast_done == 40
    assert slow_still_waiting == 8
    assert cut == 8  # each slow delivery was cut at the deadline, counted, and is due again


async def _attempted(instance: Any, hosts: list[str]) -> int:
    return await rows(
        instance,
        Delivery,
        Delivery.domain.in_(hosts),
        Delivery.state == DeliveryState.pending,
        Delivery.attempts == 1,
    )


async def test_5xx_is_retried_and_410_gives_up(tmp_path: Path) -> None:
    """Nothing lost: a server answering 503 gets the activity once it recovers; a follower
    whose inbox answers 410 Gone is given up at once, removed from the followers, and never
    tried again."""
    clock = FrozenClock(datetime.now(UTC))
    async with scene(tmp_path, clock=clock) as s:
        assert (await s.post_signed(s.follow(), now=clock.now())).status_code == 202
        await inbox_worker(s.instance.svc).run_once()
        await DeliveryWorker(s.instance.svc).run_once()  # the Accept
        async with s.instance.svc.db.transaction() as session:
            await session.execute(delete(Delivery))
        failing, gone = f"{s.peer.base_url}/users/busy/inbox", f"{s.alice.uri}/inbox"
        s.peer.serve("/users/busy/inbox", b"busy", status=503, content_type="text/plain")
        s.peer.serve("/users/alice/inbox", b"gone", status=410, content_type="text/plain")
        followers_before = await rows(s.instance, Follow)
        async with s.instance.svc.db.transaction() as session:
            union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
            assert union is not None
            await enqueue(
                session,
                s.instance.svc,
                union,
                {"type": "Create", "actor": union.uri, "object": f"{union.uri}/n"},
                [failing, gone],
            )
        worker = DeliveryWorker(s.instance.svc)
        await worker.run_once()
        del s.peer.overrides["/users/busy/inbox"]  # the server recovers
        clock.advance(timedelta(hours=1))
        await worker.run_once()
        clock.advance(timedelta(days=3))
        await worker.run_once()

        async with s.instance.svc.db.reader() as session:
            result = await session.execute(select(Delivery.inbox_uri, Delivery.state))
            outcome = {inbox: state for inbox, state in result}
        posts = [r.path for r in s.peer.deliveries()]
        followers_after = await rows(s.instance, Follow)

    assert outcome == {failing: DeliveryState.delivered, gone: DeliveryState.failed}
    assert posts.count("/users/busy/inbox") == 2
    assert posts.count("/users/alice/inbox") == 2  # the Accept, then the one 410
    assert (followers_before, followers_after) == (1, 0)


async def test_our_clock_ten_minutes_off_still_federates(tmp_path: Path) -> None:
    """Nothing lost to our own clock: signatures from a server 10 minutes fast are accepted
    (Mastodon's window is an hour each way), so the follow completes."""
    async with (
        served_instance(tmp_path, name="fast", clock=SkewedClock(timedelta(minutes=10))) as fast,
        served_instance(tmp_path, name="slow", clock=SkewedClock(timedelta(minutes=-10))) as slow,
    ):
        alice = await make_actor(fast.svc, "alice")
        await make_actor(slow.svc, "union")
        await follow(fast.svc, alice, await resolve_handle(fast.svc, f"union@{slow.host}"))

        states = await eventually(lambda: _follow_states(fast), until=lambda s: s == ["accepted"])

    assert states == ["accepted"]


async def _follow_states(instance: Any) -> list[str]:
    async with instance.svc.db.reader() as session:
        return list(await session.scalars(select(Follow.state)))


async def test_a_429_with_retry_after_is_honoured(tmp_path: Path) -> None:
    """Nothing lost: a peer that says "slow down, come back in 60 s" gets the delivery then."""
    clock = FrozenClock(datetime.now(UTC))
    async with scene(tmp_path, clock=clock) as s:
        s.peer.serve(
            "/users/alice/inbox",
            b"slow down",
            status=429,
            content_type="text/plain",
            headers={"Retry-After": "60"},
        )
        async with s.instance.svc.db.transaction() as session:
            union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
            assert union is not None
            await enqueue(
                session,
                s.instance.svc,
                union,
                {"type": "Create", "actor": union.uri, "object": f"{union.uri}/n"},
                [f"{s.alice.uri}/inbox"],
            )
        worker = DeliveryWorker(s.instance.svc)
        await worker.run_once()
        clock.advance(timedelta(seconds=59))
        await worker.run_once()
        early = len(s.peer.deliveries())
        del s.peer.overrides["/users/alice/inbox"]
        clock.advance(timedelta(seconds=2))
        await worker.run_once()

        assert early == 1
        assert len(s.peer.deliveries()) == 2
        assert await rows(s.instance, Delivery, Delivery.state == DeliveryState.delivered) == 1


@pytest.mark.parametrize(
    "retry_after",
    ["99999999999999999999", "-5", "garbage", "Wed, 21 Oct 9999 07:28:00 GMT", "1e400", "٣"],
)
async def test_no_retry_after_can_make_us_resend_or_lose_the_other_peers_outcomes(
    tmp_path: Path, retry_after: str
) -> None:
    """A hostile Retry-After is clamped; the other peers' outcomes are recorded in the same
    flush; attempts increase; the row is not sent again before its (clamped) time."""
    clock = FrozenClock(datetime.now(UTC))
    async with scene(tmp_path, clock=clock) as s, Peer().running() as healthy:
        s.peer.serve(
            "/users/alice/inbox",
            b"slow down",
            status=429,
            content_type="text/plain",
            headers={"Retry-After": retry_after},
        )
        readers = [healthy.add_actor(f"r{n}") for n in range(5)]
        async with s.instance.svc.db.transaction() as session:
            union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
            assert union is not None
            await enqueue(
                session,
                s.instance.svc,
                union,
                {"type": "Create", "actor": union.uri, "object": f"{union.uri}/n"},
                [f"{s.alice.uri}/inbox", *(f"{r.uri}/inbox" for r in readers)],
            )
        worker = DeliveryWorker(s.instance.svc)
        for _ in range(5):  # 10 s in all: less than any wait the schedule or the peer sets
            await worker.run_once()
            clock.advance(timedelta(seconds=2))

        async with s.instance.svc.db.reader() as session:
            hostile = await session.scalar(
                select(Delivery).where(Delivery.inbox_uri == f"{s.alice.uri}/inbox")
            )
        assert hostile is not None
        assert len(s.peer.deliveries()) == 1  # once, then it waits
        assert hostile.attempts == 1
        assert hostile.state == DeliveryState.pending
        assert hostile.next_attempt_at <= clock.now() + timedelta(days=1, seconds=1)
        assert len(healthy.deliveries()) == 5
        assert await rows(s.instance, Delivery, Delivery.state == DeliveryState.delivered) == 5


async def test_a_row_is_never_sent_more_often_than_the_schedule_allows(tmp_path: Path) -> None:
    """Even when outcomes cannot be recorded (the worker dies after sending), every claim
    counts an attempt: after the last one the row fails without being sent again."""
    from outbox.retry import MAX_ATTEMPTS

    clock = FrozenClock(datetime.now(UTC))
    async with scene(tmp_path, clock=clock) as s:
        async with s.instance.svc.db.transaction() as session:
            union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
            assert union is not None
            await enqueue(
                session,
                s.instance.svc,
                union,
                {"type": "Create", "actor": union.uri, "object": f"{union.uri}/n"},
                [f"{s.alice.uri}/inbox"],
            )
        for _ in range(MAX_ATTEMPTS + 3):
            worker = DeliveryWorker(s.instance.svc)
            jobs = await worker._claim(10)
            worker._start(jobs)
            await asyncio.gather(*worker._inflight)
            if not jobs:
                await worker._flush()
            clock.advance(timedelta(seconds=s.instance.settings.lease_seconds + 1))

        async with s.instance.svc.db.reader() as session:
            row = await session.scalar(select(Delivery))
        assert row is not None
        assert len(s.peer.deliveries()) == MAX_ATTEMPTS
        assert row.state == DeliveryState.failed


async def test_a_hanging_server_with_many_inboxes_cannot_stall_the_others(tmp_path: Path) -> None:
    """200 follower inboxes on one server that accepts and never answers: it holds at most its
    per-server share of the claim window, so every other server's deliveries go at once."""
    async with asgi_instance(
        tmp_path, fetch_timeout=60.0, run_workers=False, delivery_concurrency=16
    ) as instance:
        union = await make_actor(instance.svc, "union")
        async with Peer().running() as hanging, Peer().running() as healthy:
            hanging.inbox_delay = 120
            inboxes = [f"{hanging.base_url}/users/h{n}/inbox" for n in range(200)]
            inboxes += [f"{healthy.base_url}/users/f{n}/inbox" for n in range(40)]
            async with instance.svc.db.transaction() as session:
                await enqueue(
                    session,
                    instance.svc,
                    union,
                    {"type": "Create", "actor": union.uri, "object": f"{union.uri}/n"},
                    inboxes,
                )
            stop = asyncio.Event()
            running = asyncio.create_task(DeliveryWorker(instance.svc).run(stop))
            healthy_done = await eventually(
                lambda: rows(
                    instance,
                    Delivery,
                    Delivery.domain == healthy.host,
                    Delivery.state == DeliveryState.delivered,
                ),
                until=lambda n: n == 40,
                timeout=5,
            )
            hanging_claimed = await rows(
                instance, Delivery, Delivery.domain == hanging.host, Delivery.lease.is_not(None)
            )
            stop.set()
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    assert healthy_done == 40
    assert hanging_claimed <= 2 * instance.settings.delivery_per_host
