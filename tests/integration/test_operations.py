"""What operators rely on: back-pressure (the inbox answers 503 with Retry-After while the
backlog is full, and nothing is lost), `/healthz`, and `/metrics` in the Prometheus format."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from hambastegi.workers import beat, inbox_worker
from inbox.models import ReceivedActivity
from tests.integration.inbox_support import scene


async def test_a_full_backlog_answers_503_and_takes_more_once_processed(tmp_path: Path) -> None:
    async with scene(tmp_path, max_inbox_backlog=3) as s:
        accepted = [(await s.post_signed(s.follow(str(n)))).status_code for n in range(3)]
        refused = await s.post_signed(s.follow("4"))
        await inbox_worker(s.instance.svc).run_once()
        await asyncio.sleep(1.1)  # the depth is read again at most once a second
        again = await s.post_signed(s.follow("4"))
        async with s.instance.svc.db.reader() as session:
            stored = await session.scalar(select(func.count()).select_from(ReceivedActivity))

    assert accepted == [202, 202, 202]
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "60"
    assert again.status_code == 202
    assert stored == 4  # the refused one, retried, is in: nothing lost


async def test_healthz_reports_the_database_and_each_workers_heartbeat(tmp_path: Path) -> None:
    async with scene(tmp_path) as s:
        before = (await s.instance.http.get("/healthz")).json()
        stop = asyncio.Event()
        alive = asyncio.create_task(asyncio.sleep(3600))
        beating = asyncio.create_task(beat(s.instance.svc, {"inbox": alive}, stop))
        await asyncio.sleep(0.2)
        stop.set()
        await beating
        alive.cancel()
        after = await s.instance.http.get("/healthz")

    assert before["database"] == "ok"
    assert before["workers"]["inbox"]["seconds_since_heartbeat"] is None
    assert after.status_code == 200
    assert after.json()["workers"]["inbox"]["seconds_since_heartbeat"] < 60
    assert after.json()["workers"]["deliveries"]["seconds_since_heartbeat"] is None


async def test_metrics_are_off_unless_asked_for(tmp_path: Path) -> None:
    async with scene(tmp_path) as s:
        assert (await s.instance.http.get("/metrics")).status_code == 404


async def test_metrics_show_queue_depths_in_the_prometheus_format(tmp_path: Path) -> None:
    async with scene(tmp_path, metrics=True) as s:
        for n in range(2):
            await s.post_signed(s.follow(str(n)))
        text = (await s.instance.http.get("/metrics")).text

    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["hambastegi_inbox_backlog"].samples[0].value == 2
    states = {
        sample.labels["state"]: sample.value
        for sample in families["hambastegi_inbox_activities"].samples
    }
    assert states["received"] == 2
    assert "hambastegi_processed_last_minute" in families
