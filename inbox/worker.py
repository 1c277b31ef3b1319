"""InboxWorker: process stored activities (claim → dispatch → processed / ignored / failed).

Each claimed batch goes first through the fast lane: one activity after another in one write
transaction (`Database.batch`), with fetching forbidden, so a burst of activities about things
we already know costs one commit per batch. The lane is optimistic: an activity runs without a
savepoint of its own (two statements, and on PostgreSQL two round trips, saved per activity).
One that fails before it wrote anything is recorded as usual; one that fails after writing (or
on a database error) spoils the transaction, which rolls back whole and runs again with a
savepoint per activity, so no partial effect is ever committed. An
activity that needs the network (an unknown actor, an object to fetch) is set aside, with the
rest of its actor's activities, for the slow lane: there rows of one actor are handled in
order and different actors' rows side by side, each in its own transactions, so a slow peer
holds only its own activities. A transient failure (a peer down, the database busy) retries
with back-off; anything else is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from actors.domains import rules
from actors.resolver import ResolveError
from federation.client import no_fetching
from federation.documents import Activity, parse_activity
from federation.errors import FetchDeferred, FetchError, InvalidDocument
from inbox.acceptance import prefetch_senders
from inbox.context import Ignored, InboxContext, LeaseLost, mark_processed
from inbox.dispatch import Handler, handler_for
from inbox.hooks import InboxHooks
from inbox.integrity import check_integrity
from inbox.models import ReceivedActivity, ReceivedState, RemoteObject
from inbox.objects import held_among, posts_written_behind
from inbox.origin import involved_domains
from runtime.services import Services
from storage.memo import BatchMemo, WriteBehindConflict, has_changes
from storage.queue import claim

log = logging.getLogger(__name__)
# Rows claimed at a time. Each claim and fast-lane transaction has a fixed cost (the claim, the
# reads about the senders, the commit); 300 rows took one worker from about 2,000 to 2,750
# Create(Note)s a second on SQLite and 1,470 to 1,880 on PostgreSQL against 100 (5,000 posts,
# one side-by-side run), and 600 gained nothing more. Leases make a claim safe however long
# its slow lane takes (a row taken over is not done twice).
BATCH = 300
PARALLEL_ACTORS = 8
MAX_ATTEMPTS = 8
FAST_LANE_SECONDS = 0.1  # the longest one fast-lane transaction holds SQLite's write lock
# Writes that change no answer the fast lane keeps in its memo (who an actor is, whether we
# want its posts): the activities' own rows and the remote posts stored.
FAST_LANE_OWN = ("inbox_activities", "remote_objects")


class BatchSpoiled(Exception):
    """An activity failed in the fast lane after it wrote, with no savepoint to undo it alone:
    the lane's transaction must roll back whole."""


class InboxWorker:
    def __init__(
        self, svc: Services, handlers: Mapping[str, Handler], hooks: InboxHooks | None = None
    ) -> None:
        self.svc = svc
        self.handlers = handlers
        self.hooks = hooks or InboxHooks()
        self._parallel = asyncio.Semaphore(PARALLEL_ACTORS)
        self.fast_lane_seconds = FAST_LANE_SECONDS

    async def run(self, stop: asyncio.Event) -> None:
        wake = self.svc.wakeups.event("inbox")
        while not stop.is_set():
            try:
                done = await self.run_batch()
            except Exception:
                log.exception("inbox batch failed; retrying shortly")
                done = 0
            if done == 0:
                wake.clear()
                try:
                    async with asyncio.timeout(self.svc.settings.poll_seconds):
                        await wake.wait()
                except TimeoutError:
                    pass

    async def run_once(self) -> int:
        """Process everything due now (for tests and tools)."""
        total = 0
        while (count := await self.run_batch()) > 0:
            total += count
        return total

    async def run_batch(self) -> int:
        lease, ids = await claim(
            self.svc.db,
            ReceivedActivity,
            ready_state=ReceivedState.received,
            now=self.svc.clock.now(),
            lease_for=timedelta(seconds=self.svc.settings.lease_seconds),
            limit=BATCH,
        )
        if not ids:
            return 0
        async with self.svc.db.reader() as session:  # the whole batch in one read
            rows = list(
                await session.scalars(
                    select(ReceivedActivity)
                    .where(ReceivedActivity.id.in_(ids), ReceivedActivity.lease == lease)
                    .order_by(ReceivedActivity.id)
                )
            )
        slow = await self._fast_lane(rows, lease)
        by_actor: dict[str, list[ReceivedActivity]] = defaultdict(list)
        for row in sorted(slow, key=lambda r: r.id):
            by_actor[row.actor_uri].append(row)
        await asyncio.gather(
            *(self._actor_rows(actor_rows, lease) for actor_rows in by_actor.values())
        )
        return len(ids)

    async def _fast_lane(self, rows: list[ReceivedActivity], lease: str) -> list[ReceivedActivity]:
        """Process what needs no fetching, in transactions of many activities; returns the
        rows left for the slow lane (in order per actor)."""
        pending = list(rows)
        slow: list[ReceivedActivity] = []
        deferred_actors: set[str] = set()
        savepoints = False  # only when running again a transaction that was spoiled
        while pending:
            chunk: list[ReceivedActivity] = []
            took_effect: list[int] = []
            try:
                memo = BatchMemo(keeps_through=FAST_LANE_OWN)
                async with self.svc.db.batch(memo=memo) as batch:
                    senders = [row.actor_uri for row in pending]
                    await prefetch_senders(batch, self.svc, self.hooks, senders)
                    if not savepoints:  # new posts are written together (storage.memo)
                        behind = posts_written_behind(self.svc.db)
                        behind.known |= await held_among(batch, _created_objects(pending))
                        memo.behind[RemoteObject.__tablename__] = behind
                    with no_fetching():
                        started = time.monotonic()
                        while pending and time.monotonic() - started < self.fast_lane_seconds:
                            row = pending.pop(0)
                            if row.actor_uri in deferred_actors:
                                slow.append(row)
                                continue
                            chunk.append(row)
                            try:
                                if await self.process(
                                    row.id, lease, row=row, batch=batch, savepoint=savepoints
                                ):
                                    took_effect.append(row.id)
                            except FetchDeferred:
                                chunk.remove(row)
                                deferred_actors.add(row.actor_uri)
                                slow.append(row)
                    await batch.run_sync(memo.write_behind)
                    if took_effect:  # one statement for the batch, in its transaction
                        await mark_processed(batch, self.svc, took_effect, lease)
            except (BatchSpoiled, WriteBehindConflict):
                log.info("a fast-lane transaction rolled back; running it again with savepoints")
                pending = chunk + pending
                savepoints = True
                continue
            except Exception:
                log.warning(
                    "a fast-lane transaction of %d inbox activities failed; "
                    "they go through the slow lane one by one",
                    len(chunk),
                    exc_info=True,
                )
                return slow + chunk + pending
            savepoints = False
            if chunk:
                self._wake_others()
        return slow

    def _wake_others(self) -> None:
        """What the fast lane queued is committed only now: wake the workers waiting for it."""
        for name in list(self.svc.wakeups.events):
            if name != "inbox":
                self.svc.wakeups.notify(name)

    async def _actor_rows(self, rows: list[ReceivedActivity], lease: str) -> None:
        async with self._parallel:
            for row in rows:
                await self.process(row.id, lease, row=row)

    async def process(
        self,
        row_id: int,
        lease: str,
        *,
        row: ReceivedActivity | None = None,
        batch: AsyncSession | None = None,
        savepoint: bool = True,
    ) -> bool:
        """Run one activity's handler and record the outcome.

        In the fast lane (`batch`, the lane's open transaction) its effect is not marked
        processed here: this returns True and the lane marks it with the rest of the batch. A
        fetch (`FetchDeferred`) or a database error is raised to the lane, not recorded. The
        handler runs in a savepoint of its own, or with `savepoint=False` in none: then a
        failure after a write raises `BatchSpoiled`."""
        fast = batch is not None
        if row is None:
            async with self.svc.db.reader() as session:
                row = await session.get(ReceivedActivity, row_id)
        if row is None or row.lease != lease:
            return False
        ctx = InboxContext(
            svc=self.svc,
            row_id=row.id,
            lease=lease,
            recipient=row.recipient,
            relayed_by=row.relayed_by,
            hooks=self.hooks,
            batch=batch,
        )
        try:
            activity = parse_activity(row.document)
            # Policy may have changed since the door let it in: check every server again.
            policy = await rules(self.svc)
            for domain in sorted(involved_domains(activity, row.key_id, row.relayed_by)):
                if policy.is_refused(domain):
                    raise Ignored(f"{domain} is blocked or not on the allowlist")
            await check_integrity(ctx, row.document)
            handler = handler_for(self.handlers, activity.type)
            if batch is not None and savepoint:
                async with self.svc.db.transaction():  # this activity's savepoint
                    await handler(ctx, activity)
            elif batch is not None:
                await self._unguarded(batch, handler, ctx, activity)
            else:
                await handler(ctx, activity)
        except BatchSpoiled:
            raise
        except FetchDeferred:
            if fast:
                raise
            log.error("inbox handler fetched where fetching was refused row_id=%s", row_id)
            await self._retry(row_id, lease, row.attempts + 1, "deferred a fetch", soon=True)
        except Ignored as exc:
            await self._finish(row_id, lease, ReceivedState.ignored, str(exc))
        except LeaseLost:
            log.info("inbox row taken over by another worker row_id=%s", row_id)
        except (ResolveError, FetchError) as exc:
            if exc.is_permanent:
                await self._finish(row_id, lease, ReceivedState.failed, str(exc))
            else:
                await self._retry(row_id, lease, row.attempts + 1, str(exc))
        except OperationalError as exc:
            if fast:
                raise
            await self._retry(
                row_id, lease, row.attempts + 1, f"database: {exc.__class__.__name__}"
            )
        except IntegrityError:
            # Two activities about the same thing raced (a member's boost and a relay's of one
            # post): the other one's row is committed now, so doing it again is a no-op.
            await self._retry(
                row_id, lease, row.attempts + 1, "database: raced another activity", soon=True
            )
        except InvalidDocument as exc:
            await self._finish(row_id, lease, ReceivedState.failed, str(exc))
        except Exception as exc:
            log.exception("inbox handler crashed row_id=%s type=%s", row_id, row.type)
            await self._finish(
                row_id, lease, ReceivedState.failed, f"{exc.__class__.__name__}: {exc}"
            )
        else:
            if fast and ctx.is_finished:
                return True
            if not ctx.is_finished:
                await self._finish(row_id, lease, ReceivedState.processed, None)
        return False

    async def _unguarded(
        self, batch: AsyncSession, handler: Handler, ctx: InboxContext, activity: Activity
    ) -> None:
        """Run a handler in the batch with no savepoint. If it fails having written (any
        statement but a SELECT, a row queued to be written behind, or objects not yet
        flushed), or on a database error (after which PostgreSQL refuses the rest of the
        transaction), the batch is spoiled. Cancellation passes through as it is."""
        memo = self.svc.db.memo()
        if memo is None:  # nothing to tell a write by: keep the savepoint
            async with self.svc.db.transaction():
                await handler(ctx, activity)
            return
        before = (memo.writes, memo.statements, memo.queued)
        try:
            await handler(ctx, activity)
            if has_changes(batch.sync_session):  # as a savepoint's release would: the memo
                await batch.flush()  # hears of it before the next activity asks anything
        except Exception as exc:
            if (
                isinstance(exc, SQLAlchemyError | WriteBehindConflict)
                or (memo.writes, memo.statements, memo.queued) != before
                or has_changes(batch.sync_session)
            ):
                raise BatchSpoiled(f"{activity.type} {activity.uri} failed after writing") from exc
            raise

    async def _finish(
        self, row_id: int, lease: str, state: ReceivedState, reason: str | None
    ) -> None:
        async with self.svc.db.transaction() as session:
            await session.execute(
                update(ReceivedActivity)
                .where(ReceivedActivity.id == row_id, ReceivedActivity.lease == lease)
                .values(
                    state=state,
                    error=(reason or "")[:1000] or None,
                    processed_at=self.svc.clock.now(),
                    locked_until=None,
                    lease=None,
                )
            )

    async def _retry(
        self, row_id: int, lease: str, attempts: int, reason: str, *, soon: bool = False
    ) -> None:
        if attempts >= MAX_ATTEMPTS:
            await self._finish(row_id, lease, ReceivedState.failed, f"gave up: {reason}")
            return
        delay = timedelta(seconds=attempts if soon else 30 * 2 ** (attempts - 1))
        async with self.svc.db.transaction() as session:
            await session.execute(
                update(ReceivedActivity)
                .where(ReceivedActivity.id == row_id, ReceivedActivity.lease == lease)
                .values(
                    attempts=attempts,
                    error=reason[:1000],
                    next_attempt_at=self.svc.clock.now() + delay,
                    locked_until=None,
                    lease=None,
                )
            )


def _created_objects(rows: list[ReceivedActivity]) -> list[str]:
    """The ids of the posts embedded in these rows' Creates."""
    found = []
    for row in rows:
        embedded = row.document.get("object") if row.type == "Create" else None
        if isinstance(embedded, dict) and isinstance(embedded.get("id"), str):
            found.append(embedded["id"])
    return found
