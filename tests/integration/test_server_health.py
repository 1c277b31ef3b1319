"""Server health (actors/health.py): failures on 7 distinct days make a server unavailable; a
success or any request from it makes it available again, also in a web-only process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from actors.health import (
    FAILURE_DAYS_THRESHOLD,
    record_failure,
    record_successes,
    unavailable_domains,
)
from actors.models import InstanceHealth
from tests.integration.inbox_support import scene


async def test_failures_on_seven_distinct_days_make_a_server_unavailable(tmp_path: Path) -> None:
    async with scene(tmp_path) as s:
        db, start = s.instance.svc.db, datetime(2026, 1, 1, tzinfo=UTC)
        verdicts = []
        for day in range(FAILURE_DAYS_THRESHOLD):
            for hour in (0, 5):  # twice the same day counts once
                async with db.transaction() as session:
                    now = start + timedelta(days=day, hours=hour)
                    verdicts.append(await record_failure(session, "down.example", now))
        async with db.reader() as session:
            down = await unavailable_domains(session)
        async with db.transaction() as session:
            await record_successes(session, {"down.example"}, start + timedelta(days=8))
        async with db.reader() as session:
            after = await unavailable_domains(session)

    assert verdicts.count(True) == 1
    assert verdicts[-2] is True  # the seventh distinct day
    assert down == {"down.example"}
    assert after == set()


async def test_a_server_that_talks_to_us_again_is_available_under_web_only(
    tmp_path: Path,
) -> None:
    # run_workers=False: the web process alone, as `serve --web-only`, with no delivery worker.
    async with scene(tmp_path, run_workers=False) as s:
        async with s.instance.svc.db.transaction() as session:
            session.add(
                InstanceHealth(
                    domain=s.peer.host,
                    failure_days=FAILURE_DAYS_THRESHOLD,
                    unavailable_since=datetime.now(UTC),
                )
            )

        response = await s.post_signed(s.follow())

        async with s.instance.svc.db.reader() as session:
            row = await session.scalar(
                select(InstanceHealth).where(InstanceHealth.domain == s.peer.host)
            )
    assert response.status_code == 202
    assert row is not None
    assert row.unavailable_since is None
    assert row.failure_days == 0
