"""DeliveryWorker: lease due deliveries, POST them with bounded concurrency (overall and per
server), and record outcomes in batches. A killed worker's leases expire and another finishes.

Deliveries stream: new rows are claimed as soon as there is room, so one slow server never
holds up the rest; results are written every few hundred milliseconds in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import cast

import orjson
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.domains import rules
from actors.health import GivenUp, record_failure, record_successes, unavailable_domains
from actors.keystore import SigningKeys, signing_key
from actors.models import Actor, Follow
from federation.client import DeliveryResult
from federation.keys import SigningKey
from outbox.models import Delivery, DeliveryState, OutboxActivity
from outbox.retry import MAX_ATTEMPTS, Verdict, next_attempt_at, verdict
from runtime.services import Services
from storage.queue import claim

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.2
# A delivery still unanswered after this long is to a slow server: it keeps its connection but
# gives its slot to the others (up to SLOW_LANE_FACTOR × concurrency such deliveries at once),
# so a few slow or dripping servers cannot hold up everyone else's deliveries.
SLOW_AFTER_SECONDS = 2.0
SLOW_LANE_FACTOR = 4
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class _Job:
    id: int
    lease: str
    activity_id: int
    actor_id: int
    inbox_uri: str
    domain: str
    attempts: int
    despite_policy: bool = False


@dataclass(frozen=True)
class _Outcome:
    job: _Job
    result: DeliveryResult


class DeliveryWorker:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.concurrency = svc.settings.delivery_concurrency
        self.per_host = svc.settings.delivery_per_host
        self._slots = asyncio.Semaphore(self.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._busy: Counter[str] = Counter()  # claimed and not yet answered, per server
        self._bodies: OrderedDict[int, asyncio.Future[bytes]] = OrderedDict()
        self._keys: dict[int, asyncio.Future[SigningKey]] = {}
        self._outcomes: list[_Outcome] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self._slow = 0  # deliveries waiting on slow servers, outside the window
        self.slow_lane = SLOW_LANE_FACTOR * self.concurrency
        self.delivered = 0

    # -- loops ---------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        wake = self.svc.wakeups.event("deliveries")
        flusher = asyncio.create_task(self._flush_forever(stop))
        try:
            while not stop.is_set():
                room = self._room()
                if room < self.concurrency:
                    # Claim when half the window is free: one claim per batch, not one per
                    # finished delivery.
                    await self._wait_for_room(self.concurrency)
                    continue
                wake.clear()
                jobs = await self._claim(room)
                if jobs:
                    self._start(jobs)
                    continue
                await _wait_any(wake, stop, seconds=self.svc.settings.poll_seconds)
        finally:
            for task in self._inflight:
                task.cancel()
            await asyncio.gather(*self._inflight, return_exceptions=True)
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
            await self._flush()

    async def run_once(self) -> int:
        """Deliver everything due now, wait for the answers, record them (for tests and tools)."""
        total = 0
        while True:
            jobs = await self._claim(2 * self.concurrency)
            if not jobs:
                await self._flush()  # what was claimed and not sent (cancelled, spent)
                break
            total += len(jobs)
            self._start(jobs)
            await asyncio.gather(*self._inflight)
            await self._flush()
        return total

    # -- claiming and sending ------------------------------------------------------------------
    async def _claim(self, limit: int) -> list[_Job]:
        now = self.svc.clock.now()
        lease, ids = await claim(
            self.svc.db,
            Delivery,
            ready_state=DeliveryState.pending,
            now=now,
            lease_for=timedelta(seconds=self.svc.settings.lease_seconds),
            limit=limit,
            count_attempt=True,
            # Per-server limits apply to what is claimed, not only to open connections: a
            # server that hangs holds at most `per_host` places in the window, never all.
            per_group=(Delivery.domain, self.per_host),
            where=[Delivery.domain.not_in(full)] if (full := self._full_hosts()) else [],
        )
        if not ids:
            return []
        async with self.svc.db.reader() as session:
            rows = (
                await session.execute(
                    select(
                        Delivery.id,
                        Delivery.activity_id,
                        OutboxActivity.actor_id,
                        Delivery.inbox_uri,
                        Delivery.domain,
                        Delivery.attempts,
                        Delivery.despite_policy,
                    )
                    .join(OutboxActivity, OutboxActivity.id == Delivery.activity_id)
                    .where(Delivery.id.in_(ids), Delivery.lease == lease)
                )
            ).all()
        jobs = [_Job(r[0], lease, r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]
        # Checked again at send time, by whichever process sends: a block or the allowlist may
        # have changed since the row was queued, perhaps by another process.
        policy = await rules(self.svc)
        ready = []
        for job in jobs:
            reason = None
            if job.attempts > MAX_ATTEMPTS:  # every allowed attempt was claimed already
                reason = "no attempts left"
            elif policy.is_refused(job.domain) and not job.despite_policy:
                reason = f"cancelled: {job.domain} is blocked or not on the allowlist"
            if reason is None:
                ready.append(job)
            else:
                self._outcomes.append(
                    _Outcome(job, DeliveryResult(status=None, error=reason, is_refused=True))
                )
        return ready

    def _full_hosts(self) -> list[str]:
        return sorted(d for d, n in self._busy.items() if n >= self.per_host)[:1000]

    def _start(self, jobs: list[_Job]) -> None:
        for job in jobs:
            self._busy[job.domain] += 1
            task = asyncio.create_task(self._deliver(job))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            task.add_done_callback(partial(self._done_with, job.domain))

    def _done_with(self, domain: str, _task: object = None) -> None:
        self._busy[domain] -= 1
        if self._busy[domain] <= 0:
            del self._busy[domain]
            self._hosts.pop(domain, None)  # nothing left for it: no state kept per server

    def _room(self) -> int:
        """Free places in the claim window; deliveries in the slow lane do not count."""
        return 2 * self.concurrency - (len(self._inflight) - self._slow)

    async def _wait_for_room(self, room: int) -> None:
        while self._inflight and self._room() < room:
            # Wakes on a finished delivery, or to notice one that moved to the slow lane.
            await asyncio.wait(
                self._inflight, timeout=SLOW_AFTER_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )

    async def _deliver(self, job: _Job) -> None:
        host = self._hosts.setdefault(job.domain, asyncio.Semaphore(self.per_host))
        async with host:
            await self._slots.acquire()
            holding = True
            try:
                body, key = await self._body(job.activity_id), await self._key(job.actor_id)
                sending = asyncio.ensure_future(self.svc.client.deliver(job.inbox_uri, body, key))
                try:
                    done, _ = await asyncio.wait({sending}, timeout=SLOW_AFTER_SECONDS)
                    if not done and self._slow < self.slow_lane:
                        self._slots.release()
                        holding = False
                        self._slow += 1
                        try:
                            result = await sending
                        finally:
                            self._slow -= 1
                    else:
                        result = await sending
                except asyncio.CancelledError:
                    sending.cancel()
                    raise
            except Exception as exc:  # recorded on the row, never lost
                log.exception("delivery failed unexpectedly delivery_id=%s", job.id)
                result = DeliveryResult(status=None, error=f"{exc.__class__.__name__}: {exc}")
            finally:
                if holding:
                    self._slots.release()
        self._outcomes.append(_Outcome(job, result))

    async def _body(self, activity_id: int) -> bytes:
        """The activity as sent, loaded once however many deliveries ask at the same time."""
        body = self._bodies.get(activity_id)
        if body is None:
            body = asyncio.ensure_future(self._load_body(activity_id))
            self._bodies[activity_id] = body
            while len(self._bodies) > 64:
                self._bodies.popitem(last=False)
        try:
            return await asyncio.shield(body)
        except Exception:
            self._bodies.pop(activity_id, None)
            raise

    async def _load_body(self, activity_id: int) -> bytes:
        async with self.svc.db.reader() as session:
            document = await session.scalar(
                select(OutboxActivity.document).where(OutboxActivity.id == activity_id)
            )
        return orjson.dumps(document)

    async def _key(self, actor_id: int) -> SigningKey:
        """The signer's key, loaded once however many deliveries ask at the same time."""
        key = self._keys.get(actor_id)
        if key is None:
            key = asyncio.ensure_future(self._load_key(actor_id))
            self._keys[actor_id] = key
        try:
            return await asyncio.shield(key)
        except Exception:
            self._keys.pop(actor_id, None)
            raise

    async def _load_key(self, actor_id: int) -> SigningKey:
        async with self.svc.db.reader() as session:
            actor = await session.get(Actor, actor_id)
        if actor is None:
            raise LookupError(f"actor {actor_id} is gone")
        return signing_key(actor, self.svc.settings.secret_key, self.svc.component(SigningKeys))

    # -- recording -----------------------------------------------------------------------------
    async def _flush_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self._flush()
            except Exception:
                log.exception("recording delivery outcomes failed; will retry")

    async def _flush(self) -> None:
        if not self._outcomes:
            return
        outcomes, self._outcomes = self._outcomes, []
        now = self.svc.clock.now()
        params = []
        ok_domains: set[str] = set()
        failed_domains: set[str] = set()
        gone_inboxes: set[tuple[int, str]] = set()
        for outcome in outcomes:
            job, result = outcome.job, outcome.result
            attempts = job.attempts  # counted when the row was claimed
            decision = verdict(result.status, attempts, refused=result.is_refused)
            state = {
                Verdict.delivered: DeliveryState.delivered,
                Verdict.retry: DeliveryState.pending,
                Verdict.give_up: DeliveryState.failed,
            }[decision]
            params.append(
                {
                    "b_id": job.id,
                    "b_lease": job.lease,
                    "state": state,
                    "attempts": attempts,
                    "last_status": result.status,
                    "last_error": (result.error or "")[:MAX_ERROR_LENGTH] or None,
                    "next_attempt_at": (
                        _next_attempt(now, attempts, result.retry_after)
                        if decision == Verdict.retry
                        else now
                    ),
                    "finished_at": None if decision == Verdict.retry else now,
                }
            )
            if decision == Verdict.delivered:
                ok_domains.add(job.domain)
            elif result.status is None or result.status >= 500:
                failed_domains.add(job.domain)
            if result.status == 410:
                gone_inboxes.add((job.actor_id, job.inbox_uri))
        table = cast(Table, Delivery.__table__)

        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.lease == bindparam("b_lease"))
            .values(
                state=bindparam("state"),
                attempts=bindparam("attempts"),
                last_status=bindparam("last_status"),
                last_error=bindparam("last_error"),
                next_attempt_at=bindparam("next_attempt_at"),
                finished_at=bindparam("finished_at"),
                locked_until=None,
                lease=None,
            )
        )
        try:
            async with self.svc.db.transaction() as session:
                await session.execute(statement, params)
                await record_successes(session, ok_domains, now)
                for domain in failed_domains - ok_domains:
                    await record_failure(session, domain, now)
                for actor_id, inbox in gone_inboxes:
                    await _remove_gone_followers(session, actor_id, inbox)
                self.svc.component(GivenUp).replace(await unavailable_domains(session))
            # Counted once recorded: what callers (the CLI, benchmarks) wait for.
            self.delivered += sum(p["state"] == DeliveryState.delivered for p in params)
        except Exception:
            self._outcomes.extend(outcomes)  # the leases will hold; try again at the next flush
            raise


def _next_attempt(now: datetime, attempts: int, retry_after: float | None) -> datetime:
    """When to try again; a `Retry-After` the policy cannot use falls back to the schedule, so
    one peer's odd answer never stops the others' outcomes from being recorded."""
    try:
        return next_attempt_at(now, attempts, retry_after)
    except (OverflowError, ValueError):
        return next_attempt_at(now, attempts, None)


async def _remove_gone_followers(session: AsyncSession, actor_id: int, inbox: str) -> None:
    """A 410 from a follower's own inbox: that follower is gone; remove it."""
    gone = select(Actor.id).where(Actor.inbox_uri == inbox, Actor.kind == "remote")
    await session.execute(
        delete(Follow).where(Follow.followed_id == actor_id, Follow.follower_id.in_(gone))
    )


async def _wait_any(wake: asyncio.Event, stop: asyncio.Event, *, seconds: float) -> None:
    """Until new work is announced, we are asked to stop, or it is time to poll."""
    waiters = [asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
