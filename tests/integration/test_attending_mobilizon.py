"""An editor says, in the desk, that the oil workers will attend a conference on Mobilizon (a
stand-in on loopback serving Mobilizon's shapes): the Join goes to the organiser alone; an
Accept in Mobilizon's own shape (sent by one of the event's moderators, the Join embedded as
its participant) marks it accepted; an answer from another server does not; a Leave follows
"we will not come". Bad addresses get a clear message and send nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from federation.signatures import sign_request
from federation.vocab import ACTIVITY_JSON
from hambastegi.workers import inbox_worker
from outbox.models import Attendance
from outbox.worker import DeliveryWorker
from tests.integration.site_support import Site, csrf, log_in, site
from tests.peer import Peer, PeerActor, running_peer

pytestmark = pytest.mark.db

MOBILIZON_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://litepub.social/litepub/context.jsonld",
    {"mz": "https://joinmobilizon.org/ns#", "sc": "http://schema.org#"},
]


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


def mobilizon_event(peer: Peer, group: PeerActor, **extra: Any) -> dict[str, Any]:
    """An Event as Mobilizon serves it (its shape, trimmed): attributed to the group."""
    uri = f"{peer.base_url}/events/0f6a3c2e-7b1d-4b7a-9a51-d7c8a6f1e3b2"
    return {
        "@context": MOBILIZON_CONTEXT,
        "id": uri,
        "type": "Event",
        "name": "Conference of MENA labour activists",
        "content": "<p>Two days of reports from the region's struggles.</p>",
        "attributedTo": group.uri,
        "actor": group.uri,
        "startTime": "2027-05-01T08:00:00Z",
        "endTime": "2027-05-02T16:00:00Z",
        "joinMode": "restricted",
        "mz:timezone": "Europe/Istanbul",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [group.uri + "/followers"],
        "url": uri,
        "uuid": "0f6a3c2e-7b1d-4b7a-9a51-d7c8a6f1e3b2",
        **extra,
    }


async def settle(s: Site) -> None:
    await inbox_worker(s.instance.svc).run_once()
    await DeliveryWorker(s.instance.svc).run_once()


async def deliver(s: Site, peer: Peer, actor: PeerActor, document: dict[str, Any]) -> int:
    body = orjson.dumps(document)
    url = f"{s.instance.base_url}/inbox"
    headers = sign_request(actor.signing_key, "POST", url, body, datetime.now(UTC))
    headers["content-type"] = ACTIVITY_JSON
    response = await s.http.post("/inbox", content=body, headers=headers)
    await settle(s)
    return int(response.status_code)


async def state(s: Site) -> str | None:
    async with s.instance.svc.db.reader() as session:
        row = await session.scalar(select(Attendance))
    return None if row is None else str(row.state)


def sent(peer: Peer, kind: str) -> list[dict[str, Any]]:
    documents = [orjson.loads(r.body) for r in peer.deliveries()]
    return [d for d in documents if d.get("type") == kind]


async def attend_in_desk(s: Site, url: str, action: str = "attend") -> Any:
    token = await csrf(s, "/desk/attending")
    return await s.http.post(
        "/desk/attending",
        data={"csrf": token, "actor": "oil_workers", "url": url, "action": action},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )


async def test_attending_a_mobilizon_conference_from_the_desk(s: Site) -> None:
    async with running_peer() as mobilizon, running_peer() as elsewhere:
        group = mobilizon.add_actor("conference", path="/@conference", type="Group")
        moderator = mobilizon.add_actor("moderator", path="/@moderator")
        intruder = elsewhere.add_actor("intruder")
        event = mobilizon_event(mobilizon, group)
        mobilizon.serve(event["id"].removeprefix(mobilizon.base_url), event)
        await log_in(s, "editor")

        answer = await attend_in_desk(s, event["id"])
        await settle(s)

        assert answer.status_code == 303
        [join] = sent(mobilizon, "Join")
        assert join["actor"] == s.union.uri
        assert join["object"] == event["id"]
        assert join["to"] == [group.uri]  # the organiser alone, never public
        assert await state(s) == "pending"
        page = await s.http.get("/desk/attending")
        assert "Conference of MENA labour activists" in page.text
        assert "waiting for the organisers" in page.text

        participant = {  # Mobilizon's Accept carries the participant, as a Join, by its id
            "type": "Join",
            "id": join["id"],
            "actor": s.union.uri,
            "object": event["id"],
            "participationMessage": None,
        }
        forged = {
            "@context": MOBILIZON_CONTEXT,
            "id": f"{elsewhere.base_url}/accept/join/1",
            "type": "Accept",
            "actor": intruder.uri,
            "object": participant,
        }
        await deliver(s, elsewhere, intruder, forged)
        assert await state(s) == "pending"  # only the event's own server answers

        accept = {
            "@context": MOBILIZON_CONTEXT,
            "id": f"{mobilizon.base_url}/accept/join/17",
            "type": "Accept",
            "actor": moderator.uri,  # a moderator of the event, not its organiser
            "object": participant,
            "to": [s.union.uri],
        }
        assert await deliver(s, mobilizon, moderator, accept) == 202
        assert await state(s) == "accepted"
        page = await s.http.get("/desk/attending")
        assert "accepted by the organisers" in page.text

        left = await attend_in_desk(s, event["id"], action="leave")
        await settle(s)
        assert left.status_code == 303
        [leave] = sent(mobilizon, "Leave")
        assert leave["object"] == event["id"]
        assert leave["actor"] == s.union.uri
        assert await state(s) is None


async def test_what_is_not_a_public_event_is_refused_with_a_reason(s: Site) -> None:
    async with running_peer() as mobilizon:
        group = mobilizon.add_actor("conference", path="/@conference", type="Group")
        note = {
            **mobilizon_event(mobilizon, group),
            "type": "Note",
            "id": f"{mobilizon.base_url}/n/1",
        }
        private = {
            **mobilizon_event(mobilizon, group),
            "id": f"{mobilizon.base_url}/events/private",
            "to": [group.uri + "/members"],
            "cc": [],
        }
        mobilizon.serve("/n/1", note)
        mobilizon.serve("/events/private", private)
        await log_in(s, "editor")

        cases = {
            f"{mobilizon.base_url}/n/1": "not an event",
            f"{mobilizon.base_url}/events/private": "only public events",
            f"{mobilizon.base_url}/events/gone": "404",
            "next Tuesday": "address",
            s.posts["event"].uri: "on this server",
        }
        for url, reason in cases.items():
            answer = await attend_in_desk(s, url)
            assert answer.status_code == 400, url
            assert reason in answer.text, (url, answer.text[-2000:])
        await settle(s)
        assert sent(mobilizon, "Join") == []
        assert await state(s) is None
