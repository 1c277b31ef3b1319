"""The network's side of the inbox (`inbox.hooks`): members' posts enter curation, boosts by
relays we subscribe to carry members' posts, relay subscribers' posts are forwarded, members'
edits and deletions reach group-aware followers, memberships follow a member that moved, and
relay subscriptions (Follow, Accept, Undo) are claimed from the inbox's own handling."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, ActorKind
from actors.software import learn_software
from federation.documents import Activity, RemoteObjectData
from federation.vocab import PUBLIC, PUBLIC_FORMS, get_id
from inbox.context import Ignored, InboxContext
from inbox.hooks import Arrival, InboxHooks, Interest, KeptPost
from network import booster, relays
from network.booster import MemberPost
from network.members import memberships_of
from network.models import Member, RelayStyle, RelaySubscriber, RelaySubscription, SubscriptionState
from runtime.services import Services


def install(hooks: InboxHooks) -> None:
    hooks.interest.append(interest)
    hooks.prefetch.append(prefetch_members)
    hooks.remote_post_kept.append(on_kept)
    hooks.remote_post_updated.append(on_changed)
    hooks.remote_post_deleted.append(on_deleted)
    hooks.actor_moved.append(on_moved)
    hooks.follow_received.append(claim_follow)
    hooks.accept_received.append(claim_accept)
    hooks.undo_follow_received.append(claim_undo_follow)


# -- posts -----------------------------------------------------------------------------------


async def interest(session: AsyncSession, svc: Services, arrival: Arrival) -> list[Interest]:
    found: list[Interest] = []
    if arrival.via == "Create" and await _is_member(session, svc, arrival.sender):
        found.append(Interest("member", whole_thread=True))
    if arrival.via == "Announce" and await relays.is_subscribed_relay(session, arrival.sender.uri):
        found.append(Interest("relay"))
    if arrival.recipient == relays.RELAY_USERNAME and await _approved_subscriber(
        session, arrival.sender
    ):
        found.append(Interest("subscriber"))
    return found


async def _is_member(session: AsyncSession, svc: Services, actor: Actor) -> bool:
    memo = svc.db.memo()
    known: bool | None = memo.get(("member", actor.id)) if memo is not None else None
    if known is None:
        known = bool(await memberships_of(session, actor.id))
    return known


async def prefetch_members(session: AsyncSession, svc: Services, senders: list[Actor]) -> None:
    """Which of a batch's senders are members of one of our networks, in one read."""
    memo = svc.db.memo()
    if memo is None:
        return
    ids = [actor.id for actor in senders]
    members = set(await session.scalars(select(Member.actor_id).where(Member.actor_id.in_(ids))))
    for actor_id in ids:
        memo.put(("member", actor_id), actor_id in members)


def member_post(
    data: RemoteObjectData, author: Actor, source: str, create: dict[str, Any] | None
) -> MemberPost:
    kind = (
        create.get("object", {}).get("kind")
        if isinstance(create, dict) and isinstance(create.get("object"), dict)
        else None
    )
    return MemberPost(
        object_uri=data.uri,
        author=author,
        source=source,
        create_activity=create,
        to=data.to,
        cc=data.cc,
        in_reply_to=data.in_reply_to,
        language=data.language,
        kind=str(kind or data.type.lower()),
        hashtags=data.hashtags,
        mentions=len(data.mentions),
        content_html=data.content,
        is_reply=data.is_reply,
    )


async def on_kept(session: AsyncSession, svc: Services, kept: KeptPost) -> None:
    post, author = kept.post, kept.author
    if kept.wanted_for("member"):
        create = None if kept.relayed_by else kept.activity.as_received
        await booster.consider(session, svc, member_post(post, author, "inbox", create))
    elif kept.wanted_for("relay") and await memberships_of(session, author.id):
        await booster.consider(session, svc, member_post(post, author, "relay", None))
    forwarded = kept.activity.type == "Announce" or not post.is_reply  # not a Create's reply
    if kept.wanted_for("subscriber") and PUBLIC in post.to and forwarded:
        await relays.forward(session, svc, post.uri, origin=author.domain)


async def on_changed(session: AsyncSession, svc: Services, uri: str, activity: Activity) -> None:
    """FEP-1b12: group-aware followers of the network see the member's edit."""
    await booster.announce_activity(session, svc, uri, activity.as_received)


async def on_deleted(session: AsyncSession, svc: Services, uri: str, activity: Activity) -> None:
    await booster.announce_activity(session, svc, uri, activity.as_received)
    await booster.withdraw(session, svc, uri)


async def on_moved(session: AsyncSession, svc: Services, old: Actor, new: Actor) -> None:
    await session.execute(update(Member).where(Member.actor_id == old.id).values(actor_id=new.id))


async def _approved_subscriber(session: AsyncSession, actor: Actor) -> bool:
    found = await session.scalar(
        select(RelaySubscriber.id)
        .join(Actor, Actor.id == RelaySubscriber.actor_id)
        .where(Actor.domain == actor.domain, RelaySubscriber.state == SubscriptionState.accepted)
    )
    return found is not None


# -- relay subscriptions ------------------------------------------------------------------------


async def claim_follow(ctx: InboxContext, activity: Activity) -> bool:
    target = activity.object_uri
    async with ctx.svc.db.reader() as session:
        relay = await relays.relay_actor(session)
        network = await session.scalar(
            select(Actor).where(Actor.uri == (target or ""), Actor.kind == ActorKind.network)
        )
    is_public_follow = target in PUBLIC_FORMS or get_id(activity.object) in PUBLIC_FORMS
    if relay is not None and (is_public_follow or target == relay.uri):
        subscriber = await ctx.actor(activity.actor_uri)
        style = RelayStyle.litepub if target == relay.uri else RelayStyle.mastodon
        async with ctx.effect() as session:
            await relays.request_subscription(session, ctx.svc, subscriber, style, activity.uri)
        return True
    if is_public_follow:
        raise Ignored("a relay subscription, but this instance is not a relay")
    if network is not None:
        follower = await ctx.actor(activity.actor_uri)
        await learn_software(ctx.svc, follower.domain)  # which form of boost that server reads
    return False


async def claim_accept(ctx: InboxContext, activity: Activity) -> bool:
    inner = get_id(activity.object)
    async with ctx.svc.db.reader() as session:
        pending = await session.scalar(
            select(RelaySubscription.id).where(
                RelaySubscription.follow_activity_uri == (inner or "")
            )
        )
    if pending is None:
        return False
    async with ctx.effect() as session:
        if not await relays.accept_subscription(session, ctx.svc, inner, activity.actor_uri):
            raise Ignored("an accept of a relay subscription from someone else")
    return True


async def claim_undo_follow(ctx: InboxContext, activity: Activity) -> bool:
    inner = activity.embedded_object or {}
    inner_object = get_id(inner.get("object"))
    async with ctx.svc.db.reader() as session:
        relay = await relays.relay_actor(session)
    if relay is None or not (inner_object in PUBLIC_FORMS or inner_object == relay.uri):
        return False
    subscriber = await ctx.actor(activity.actor_uri)
    async with ctx.effect() as session:
        await relays.remove_subscriber(session, subscriber.id)
    return True
