"""For operators: `/healthz` (for load balancers and process managers) and `/metrics` (the
Prometheus text format, only with `HAMBASTEGI_METRICS=true`; put it behind your proxy's access
rules: it shows queue depths, not content).

Both read the database, so they tell the same in every process: the inbox backlog, deliveries
by state, what was processed and finished in the last minute, and each kind of worker's last
heartbeat (workers record one every 15 s wherever they run)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from inbox.models import ReceivedActivity, ReceivedState
from outbox.models import Delivery
from runtime.responses import error
from runtime.services import services
from storage.database import DatabaseUnavailable
from storage.meta import InstanceMeta

WORKERS = ("inbox", "deliveries", "scheduler", "mail")


async def _heartbeats(request: Request) -> dict[str, float | None]:
    """Seconds since each kind of worker last said it was alive (None: never)."""
    svc = services(request)
    async with svc.db.reader() as session:
        rows = dict(
            (
                await session.execute(
                    select(InstanceMeta.key, InstanceMeta.value).where(
                        InstanceMeta.key.in_([f"heartbeat:{w}" for w in WORKERS])
                    )
                )
            ).all()
        )
    now = svc.clock.now()
    ages: dict[str, float | None] = {}
    for worker in WORKERS:
        raw = rows.get(f"heartbeat:{worker}")
        try:
            ages[worker] = (now - datetime.fromisoformat(raw)).total_seconds() if raw else None
        except ValueError:
            ages[worker] = None
    return ages


async def healthz(request: Request) -> Response:
    svc = services(request)
    try:
        async with svc.db.reader() as session:
            await session.execute(text("SELECT 1"))
        ages = await _heartbeats(request)
    except (SQLAlchemyError, OSError, DatabaseUnavailable):
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"},
            status_code=503,
            headers={"Cache-Control": "no-store"},
        )
    workers: dict[str, Any] = {
        name: {"seconds_since_heartbeat": None if age is None else round(age, 1)}
        for name, age in ages.items()
    }
    return JSONResponse(
        {"status": "ok", "database": "ok", "workers": workers},
        headers={"Cache-Control": "no-store"},
    )


async def metrics(request: Request) -> Response:
    svc = services(request)
    if not svc.settings.metrics:
        return error(404, "metrics are off (HAMBASTEGI_METRICS)")
    # prometheus-client is loaded when metrics are first asked for.
    from prometheus_client import CollectorRegistry, generate_latest  # noqa: PLC0415
    from prometheus_client.core import GaugeMetricFamily  # noqa: PLC0415

    since = svc.clock.now() - timedelta(minutes=1)
    async with svc.db.reader() as session:
        inbox = dict(
            (
                await session.execute(
                    select(ReceivedActivity.state, func.count()).group_by(ReceivedActivity.state)
                )
            ).all()
        )
        deliveries = dict(
            (
                await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
            ).all()
        )
        processed = await session.scalar(
            select(func.count())
            .select_from(ReceivedActivity)
            .where(ReceivedActivity.processed_at >= since)
        )
        finished = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.finished_at >= since)
        )
    ages = await _heartbeats(request)
    families = []
    backlog = GaugeMetricFamily(
        "hambastegi_inbox_backlog", "Accepted activities waiting for the inbox worker"
    )
    backlog.add_metric([], inbox.get(ReceivedState.received, 0))
    families.append(backlog)
    by_state = GaugeMetricFamily(
        "hambastegi_inbox_activities", "Received activities by state", labels=["state"]
    )
    for state in ReceivedState:
        by_state.add_metric([state.value], inbox.get(state, 0))
    families.append(by_state)
    outbound = GaugeMetricFamily(
        "hambastegi_deliveries", "Delivery rows by state", labels=["state"]
    )
    for delivery_state, count in sorted(deliveries.items()):
        outbound.add_metric([str(delivery_state)], count)
    families.append(outbound)
    rate = GaugeMetricFamily(
        "hambastegi_processed_last_minute", "Work finished in the last minute", labels=["queue"]
    )
    rate.add_metric(["inbox"], processed or 0)
    rate.add_metric(["deliveries"], finished or 0)
    families.append(rate)
    beats = GaugeMetricFamily(
        "hambastegi_worker_heartbeat_age_seconds",
        "Seconds since each kind of worker last recorded a heartbeat",
        labels=["worker"],
    )
    for worker, age in ages.items():
        if age is not None:
            beats.add_metric([worker], age)
    families.append(beats)

    class Snapshot:
        def collect(self) -> list[GaugeMetricFamily]:
            return families

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Snapshot())
    return Response(
        generate_latest(registry),
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/healthz", healthz), Route("/metrics", metrics)]
