"""Relays, both ways (FEP-ae0c).

As a client, the network actor subscribes Mastodon-style (Follow of as:Public sent to the relay's
inbox) or LitePub-style (follow the relay actor, which follows back); its boosts then go to the
relay too. Whatever a relay brings us is taken only by fetching it from its origin.

As a relay (`hambastegi relay enable`), this instance's `relay` actor takes subscriptions in both
styles, each approved by an admin, and forwards members' public posts and subscribers' public
posts to every other subscriber as `Announce(object id)`, so receivers fetch from the origin.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.directory import ActorError, NewActor, create_local_actor, find_local
from actors.models import Actor, ActorKind, delivery_inbox
from actors.resolver import ResolveError, resolve_actor
from content.mediastore import MediaStore
from core.uris import authority
from federation.documents import is_http_uri
from federation.vocab import PUBLIC
from network.members import MembershipError, network_actor
from network.models import RelayStyle, RelaySubscriber, RelaySubscription, SubscriptionState
from outbox.enqueue import enqueue, new_activity_uri
from outbox.follows import render_follow
from runtime.services import Services

RELAY_USERNAME = "relay"


class RelayError(Exception):
    """A relay request that cannot be carried out; the message says why."""


# -- the network as a relay client --------------------------------------------------------------


async def subscribe(
    svc: Services, network_name: str, relay: str, style: RelayStyle
) -> RelaySubscription:
    if not is_http_uri(relay):
        raise RelayError(
            f"give the relay's URL (its inbox, or its actor for LitePub), not {relay!r}"
        )
    async with svc.db.reader() as session:
        network = await _network(session, network_name)
        if await session.scalar(
            select(RelaySubscription.id).where(
                RelaySubscription.network_id == network.id, RelaySubscription.relay_uri == relay
            )
        ):
            raise RelayError(f"{network.handle} is already subscribed to {relay}")
    relay_actor: Actor | None = None
    if style == RelayStyle.litepub:
        try:
            relay_actor = await resolve_actor(svc, relay)
        except ResolveError as exc:
            raise RelayError(f"cannot reach the relay actor: {exc}") from exc
    follow_uri = new_activity_uri(svc.uris)
    target = relay_actor.uri if relay_actor else PUBLIC
    inbox = (relay_actor.inbox_uri or "") if relay_actor else relay
    async with svc.db.transaction() as session:
        subscription = RelaySubscription(
            network_id=network.id,
            relay_uri=relay,
            relay_actor_uri=relay_actor.uri if relay_actor else None,
            relay_inbox_uri=inbox,
            style=style,
            state=SubscriptionState.pending,
            follow_activity_uri=follow_uri,
            created_at=svc.clock.now(),
        )
        session.add(subscription)
        await enqueue(
            session, svc, network, render_follow(follow_uri, network.uri, target), [inbox]
        )
        return subscription


async def unsubscribe(svc: Services, network_name: str, relay: str) -> None:
    async with svc.db.transaction() as session:
        network = await _network(session, network_name)
        row = await session.scalar(
            select(RelaySubscription).where(
                RelaySubscription.network_id == network.id, RelaySubscription.relay_uri == relay
            )
        )
        if row is None:
            raise RelayError(f"{network.handle} is not subscribed to {relay}")
        target = (
            row.relay_actor_uri
            if row.style == RelayStyle.litepub and row.relay_actor_uri
            else PUBLIC
        )
        undo = {
            "type": "Undo",
            "actor": network.uri,
            "object": render_follow(row.follow_activity_uri, network.uri, target),
        }
        await enqueue(session, svc, network, undo, [row.relay_inbox_uri])
        await session.delete(row)


async def subscriptions(session: AsyncSession, network_id: int) -> list[RelaySubscription]:
    return list(
        await session.scalars(
            select(RelaySubscription)
            .where(RelaySubscription.network_id == network_id)
            .order_by(RelaySubscription.id)
        )
    )


async def accept_subscription(
    session: AsyncSession, svc: Services, follow_uri: str | None, relay_actor_uri: str
) -> bool:
    """An Accept of our relay Follow: the subscription is live. False when it is not about one."""
    if follow_uri is None:
        return False
    row = await session.scalar(
        select(RelaySubscription).where(RelaySubscription.follow_activity_uri == follow_uri)
    )
    if row is None:
        return False
    if row.relay_actor_uri is None and authority(relay_actor_uri) == authority(row.relay_inbox_uri):
        row.relay_actor_uri = relay_actor_uri
    if row.relay_actor_uri != relay_actor_uri:
        return False
    row.state = SubscriptionState.accepted
    row.accepted_at = svc.clock.now()
    return True


async def is_subscribed_relay(session: AsyncSession, actor_uri: str) -> bool:
    """Is `actor_uri` a relay one of our networks is subscribed to (accepted)?"""
    found = await session.scalar(
        select(RelaySubscription.id).where(
            RelaySubscription.relay_actor_uri == actor_uri,
            RelaySubscription.state == SubscriptionState.accepted,
        )
    )
    return found is not None


async def trusted_relay(svc: Services, actor_uri: str) -> bool:
    async with svc.db.reader() as session:
        return await is_subscribed_relay(session, actor_uri)


async def relay_inboxes(session: AsyncSession, network_id: int) -> list[str]:
    rows = await session.scalars(
        select(RelaySubscription.relay_inbox_uri).where(
            RelaySubscription.network_id == network_id,
            RelaySubscription.state == SubscriptionState.accepted,
        )
    )
    return list(rows)


async def _network(session: AsyncSession, name: str) -> Actor:
    try:
        return await network_actor(session, name)
    except MembershipError as exc:
        raise RelayError(str(exc)) from exc


# -- this instance as a relay -------------------------------------------------------------------


async def relay_actor(session: AsyncSession) -> Actor | None:
    found = await find_local(session, RELAY_USERNAME)
    return found if found is not None and found.kind == ActorKind.relay else None


async def enable_relay(svc: Services) -> Actor:
    async with svc.db.transaction() as session:
        existing = await relay_actor(session)
        if existing is not None:
            return existing
        if await find_local(session, RELAY_USERNAME) is not None:
            raise RelayError("an actor named 'relay' already exists")
        try:
            actor = await create_local_actor(
                session,
                svc.uris,
                svc.clock,
                svc.settings.secret_key,
                MediaStore(svc.settings.media_dir),
                NewActor(
                    username=RELAY_USERNAME,
                    kind=ActorKind.relay,
                    display_name=f"{svc.settings.instance_name} relay",
                    summary="Relays members' public posts; each subscription is approved by hand.",
                    manually_approves_followers=True,
                ),
                allow_reserved=True,
            )
        except ActorError as exc:
            raise RelayError(str(exc)) from exc
        return actor


async def request_subscription(
    session: AsyncSession, svc: Services, subscriber: Actor, style: RelayStyle, follow_uri: str
) -> RelaySubscriber:
    row = await session.scalar(
        select(RelaySubscriber).where(RelaySubscriber.actor_id == subscriber.id)
    )
    if row is None:
        row = RelaySubscriber(
            actor_id=subscriber.id,
            created_at=svc.clock.now(),
            state=SubscriptionState.pending,
        )
        session.add(row)
    row.style = style
    row.follow_activity_uri = follow_uri
    await session.flush()
    if row.state == SubscriptionState.accepted:  # a repeated Follow: answer again
        await _answer(session, svc, row, subscriber, "Accept")
    return row


async def decide_subscription(svc: Services, who: str, *, approve: bool) -> RelaySubscriber:
    async with svc.db.transaction() as session:
        relay = await relay_actor(session)
        if relay is None:
            raise RelayError("this instance is not a relay: run `hambastegi relay enable`")
        rows = (
            await session.execute(
                select(RelaySubscriber, Actor).join(Actor, Actor.id == RelaySubscriber.actor_id)
            )
        ).all()
        wanted = who.strip().lower()
        match = next(((r, a) for r, a in rows if wanted in (a.uri.lower(), a.domain.lower())), None)
        if match is None:
            raise RelayError(f"no relay subscription from {who}")
        row, subscriber = match
        row.state = SubscriptionState.accepted if approve else SubscriptionState.rejected
        row.decided_at = svc.clock.now()
        await _answer(session, svc, row, subscriber, "Accept" if approve else "Reject")
        if approve and row.style == RelayStyle.litepub:  # LitePub: the relay follows back
            follow_back = render_follow(new_activity_uri(svc.uris), relay.uri, subscriber.uri)
            await enqueue(session, svc, relay, follow_back, [subscriber.inbox_uri or ""])
        return row


async def _answer(
    session: AsyncSession, svc: Services, row: RelaySubscriber, subscriber: Actor, kind: str
) -> None:
    relay = await relay_actor(session)
    if relay is None:
        return
    target = relay.uri if row.style == RelayStyle.litepub else PUBLIC
    answer = {
        "type": kind,
        "actor": relay.uri,
        "object": render_follow(row.follow_activity_uri, subscriber.uri, target),
    }
    await enqueue(session, svc, relay, answer, [subscriber.inbox_uri or ""])


async def list_subscribers(session: AsyncSession) -> list[tuple[RelaySubscriber, Actor]]:
    rows = await session.execute(
        select(RelaySubscriber, Actor)
        .join(Actor, Actor.id == RelaySubscriber.actor_id)
        .order_by(RelaySubscriber.id)
    )
    return [(r, a) for r, a in rows.all()]


async def remove_subscriber(session: AsyncSession, subscriber_id: int) -> None:
    row = await session.scalar(
        select(RelaySubscriber).where(RelaySubscriber.actor_id == subscriber_id)
    )
    if row is not None:
        await session.delete(row)


async def forward(session: AsyncSession, svc: Services, object_uri: str, *, origin: str) -> None:
    """Relay a public post to every approved subscriber but its own server, by id."""
    relay = await relay_actor(session)
    if relay is None:
        return
    rows = await session.execute(
        select(Actor.shared_inbox_uri, Actor.inbox_uri, Actor.domain)
        .join(RelaySubscriber, RelaySubscriber.actor_id == Actor.id)
        .where(RelaySubscriber.state == SubscriptionState.accepted)
    )
    inboxes = {
        target
        for shared, inbox, domain in rows
        if domain != origin and (target := delivery_inbox(shared, inbox))
    }
    if not inboxes:
        return
    announce = {
        "type": "Announce",
        "actor": relay.uri,
        "object": object_uri,
        "to": [PUBLIC],
        "cc": [relay.followers_uri],
    }
    await enqueue(session, svc, relay, announce, sorted(i for i in inboxes if i), about=object_uri)
