"""In the desk, an admin sees what a received report names on other servers and forwards it;
the other server (a stand-in on loopback) receives a Flag from our instance actor; the report
then says where it went, and cannot be forwarded twice. Editors cannot forward."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from actors.models import Actor, ActorKind
from inbox.models import Report
from outbox.worker import DeliveryWorker
from tests.integration.site_support import Site, csrf, log_in, site
from tests.peer import running_peer

pytestmark = pytest.mark.db


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def forward(s: Site, report_id: int, note: str) -> object:
    token = await csrf(s)
    return await s.http.post(
        f"/desk/moderation/reports/{report_id}/forward",
        data={"csrf": token, "note": note},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )


async def test_an_admin_forwards_a_report_from_the_desk(s: Site) -> None:
    async with running_peer() as other:
        spammer = other.add_actor("spammer")
        post = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{other.base_url}/notes/1",
            "type": "Note",
            "attributedTo": spammer.uri,
            "content": "scab wanted",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }
        other.serve("/notes/1", post)
        now = s.instance.svc.clock.now()
        async with s.instance.svc.db.transaction() as session:
            reporter = Actor(
                uri="http://127.0.0.1:9/actor",
                kind=ActorKind.remote,
                as_type="Application",
                username="127.0.0.1",
                domain="127.0.0.1:9",
                inbox_uri="http://127.0.0.1:9/inbox",
                published=now,
                updated_at=now,
            )
            session.add(reporter)
            await session.flush()
            report = Report(
                activity_uri="http://127.0.0.1:9/flags/1",
                reporter_id=reporter.id,
                object_uris=[s.posts["strike"].uri],
                other_uris=[post["id"]],
                content="Recruiting strike breakers",
                received_at=now,
            )
            session.add(report)
        await log_in(s, "editor")
        refused = await forward(s, report.id, "")
        await s.http.post("/desk/logout", data={"csrf": await csrf(s)})
        await log_in(s, "admin")

        page = await s.http.get("/desk/moderation")
        answer = await forward(s, report.id, "Please look")
        await DeliveryWorker(s.instance.svc).run_once()
        after = await s.http.get("/desk/moderation")
        again = await forward(s, report.id, "")

        assert refused.status_code == 403  # type: ignore[attr-defined]
        assert "It also names, on other servers" in page.text
        assert answer.status_code == 303  # type: ignore[attr-defined]
        [flag] = [orjson.loads(r.body) for r in other.deliveries()]
        assert flag["type"] == "Flag"
        assert flag["actor"] == f"{s.instance.base_url}/actor"
        assert flag["object"] == [spammer.uri, post["id"]]
        assert flag["content"] == "Recruiting strike breakers\n\nPlease look"
        assert f"Forwarded to {other.host}" in after.text
        assert again.status_code == 400  # type: ignore[attr-defined]
        assert "forwarded already" in again.text  # type: ignore[attr-defined]
