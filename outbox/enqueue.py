"""Queue an activity for delivery: the activity row and one delivery row per distinct inbox,
written in the caller's transaction (so a post and its deliveries commit together or not at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession

from actors.domains import rules
from actors.health import unavailable_domains
from actors.keystore import SigningKeys, proof_key_id, proof_signing_key
from actors.models import Actor
from core.ids import new_id
from core.uris import Uris, authority
from federation import proofs
from federation.vocab import AS_CONTEXT, JsonObject
from outbox.models import Delivery, DeliveryState, OutboxActivity
from runtime.services import Services

# Mastodon still sends these to servers it marked unavailable (`bypass_availability`).
ALWAYS_DELIVERED = frozenset({"Follow", "Undo", "Accept", "Reject"})


def new_activity_uri(uris: Uris) -> str:
    return uris.activity(new_id())


async def enqueue(
    session: AsyncSession,
    svc: Services,
    actor: Actor,
    document: JsonObject,
    inboxes: Iterable[str],
    *,
    listed: bool = False,
    about: str | None = None,
    despite_policy: bool = False,
) -> OutboxActivity:
    """Store `document` (given an id and context if missing) and a pending delivery per inbox.

    Inboxes on our own host are left out (local effects are applied directly); blocked servers
    get no row; servers marked unavailable get a `skipped` row. `despite_policy` is for the
    farewells a new block sends (Reject/Undo of follows): they go out though the server is
    blocked, and the delivery worker lets them through.
    """
    uris, now = svc.uris, svc.clock.now()
    policy = await rules(svc)
    document = {"@context": AS_CONTEXT, **document}
    document.setdefault("id", new_activity_uri(uris))
    if actor.proof_key_sealed:  # FEP-8b32: checkable by anyone, however it travels
        key = proof_signing_key(actor, svc.settings.secret_key, svc.component(SigningKeys))
        document = proofs.sign(document, key, proof_key_id(actor), created=now)
    activity = OutboxActivity(
        uri=document["id"],
        actor_id=actor.id,
        type=str(document["type"]),
        object_uri=about or _object_uri(document.get("object")),
        document=document,
        is_listed=listed,
        created_at=now,
    )
    session.add(activity)
    await session.flush()
    notify_after_commit(session, svc, "deliveries")
    targets = sorted({i for i in inboxes if i and not uris.is_ours(i)})
    down = await unavailable_domains(session) if targets else set()
    rows = []
    for inbox in targets:
        domain = authority(inbox)
        if policy.is_refused(domain) and not despite_policy:
            continue
        skipped = domain in down and activity.type not in ALWAYS_DELIVERED
        rows.append(
            {
                "activity_id": activity.id,
                "inbox_uri": inbox,
                "domain": domain,
                "state": DeliveryState.skipped if skipped else DeliveryState.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "server unavailable (failed on 7 distinct days)" if skipped else None,
                "created_at": now,
                "finished_at": now if skipped else None,
                "despite_policy": despite_policy,
            }
        )
    if rows:
        await session.execute(insert(Delivery), rows)
    return activity


def notify_after_commit(session: AsyncSession, svc: Services, name: str) -> None:
    """Wake the named worker once this transaction has committed (not before: it would find
    nothing yet)."""
    event.listen(
        session.sync_session, "after_commit", lambda _s: svc.wakeups.notify(name), once=True
    )


def _object_uri(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None
