"""The network's view of the inbox: members' posts enter curation, boosts by actors we follow
and posts from relays are fetched from their origin, relays subscribe, members move.

These wrap the base handlers (`inbox.dispatch.base_handlers`) in the composition root.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from actors.models import Actor, ActorKind, Follow, FollowState
from actors.resolver import ResolveError, resolve_actor
from actors.software import learn_software
from core.uris import authority
from federation.documents import Activity, RemoteObjectData
from federation.errors import FetchError, InvalidDocument
from federation.vocab import PUBLIC, PUBLIC_FORMS, get_id
from inbox.context import Ignored, InboxContext
from inbox.dispatch import Handler
from inbox.handlers import create as base_create
from inbox.models import RemoteObject
from inbox.objects import fetch_object, store_object
from network import booster, relays
from network.booster import MemberPost
from network.members import memberships_of
from network.models import Member, RelayStyle, RelaySubscriber, RelaySubscription, SubscriptionState
from outbox.follows import follow as follow_actor
from runtime.services import Services


def network_handlers(base: Mapping[str, Handler]) -> dict[str, Handler]:
    async def create(ctx: InboxContext, activity: Activity) -> None:
        await handle_create(ctx, activity)

    async def announce(ctx: InboxContext, activity: Activity) -> None:
        await handle_announce(ctx, activity, base["Announce"])

    async def update_(ctx: InboxContext, activity: Activity) -> None:
        await handle_update(ctx, activity, base["Update"])

    async def delete_(ctx: InboxContext, activity: Activity) -> None:
        await handle_delete(ctx, activity, base["Delete"])

    async def follow(ctx: InboxContext, activity: Activity) -> None:
        await handle_follow(ctx, activity, base["Follow"])

    async def accept(ctx: InboxContext, activity: Activity) -> None:
        await handle_accept(ctx, activity, base["Accept"])

    async def undo(ctx: InboxContext, activity: Activity) -> None:
        await handle_undo(ctx, activity, base["Undo"])

    return {
        **base,
        "Create": create,
        "Announce": announce,
        "Update": update_,
        "Delete": delete_,
        "Follow": follow,
        "Accept": accept,
        "Undo": undo,
        "Move": handle_move,
    }


async def _followed_by_us(svc: Services, actor_uri: str) -> bool:
    async with svc.db.reader() as session:
        return await _follows(session, actor_uri)


async def _follows(session: Any, actor_uri: str) -> bool:
    """Does one of ours follow this actor (an accepted follow)?"""
    found = await session.scalar(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Actor.uri == actor_uri, Follow.state == FollowState.accepted)
    )
    return found is not None


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


async def handle_create(ctx: InboxContext, activity: Activity) -> None:
    if ctx.relayed_by is not None:  # never trust a relayed body: fetch from the origin
        if activity.object_uri is None:
            raise Ignored("relayed Create names no object")
        data = await fetch_object(ctx.svc, activity.object_uri)
    else:
        data = await base_create.object_of(ctx, activity)
    if data.attributed_to != activity.actor_uri:
        raise Ignored("the object is attributed to someone else")
    author = await ctx.actor(activity.actor_uri)
    async with ctx.svc.db.reader() as session:  # every question in one read
        is_member = bool(await memberships_of(session, author.id))
        from_subscriber = ctx.recipient == relays.RELAY_USERNAME and await _approved_subscriber(
            session, author
        )
        wanted = (
            is_member
            or from_subscriber
            or ctx.relayed_by
            or await _follows(session, author.uri)
            or await base_create.concerns_us(ctx, data, session)
        )
    if not wanted:
        raise Ignored("not from a member or someone we follow, and not about us")
    parent = await _own_thread_parent(ctx, data, author) if is_member else None
    async with ctx.effect() as session:
        if parent is not None:
            await store_object(session, ctx.svc, parent, author)
        await store_object(session, ctx.svc, data, author)
        if is_member:
            create = None if ctx.relayed_by else activity.as_received
            await booster.consider(session, ctx.svc, member_post(data, author, "inbox", create))
        if from_subscriber and PUBLIC in data.to and not data.is_reply:
            await relays.forward(session, ctx.svc, data.uri, origin=author.domain)


async def _own_thread_parent(
    ctx: InboxContext, data: RemoteObjectData, author: Actor
) -> RemoteObjectData | None:
    """A member replying to its own post we do not hold yet: fetch the post (from its origin)
    so the thread is known and the reply is judged as part of it."""
    parent_uri = data.in_reply_to
    if parent_uri is None or ctx.svc.uris.is_ours(parent_uri):
        return None
    if authority(parent_uri) != authority(author.uri):
        return None  # its own posts are on its own server: nothing elsewhere is fetched

    async with ctx.svc.db.reader() as session:
        held = await session.scalar(select(RemoteObject.id).where(RemoteObject.uri == parent_uri))
    if held is not None:
        return None
    try:
        parent = await fetch_object(ctx.svc, parent_uri)
    except FetchError as exc:
        if not exc.is_permanent:
            raise
        return None
    except InvalidDocument:
        return None
    return parent if parent.attributed_to == author.uri else None


async def _approved_subscriber(session: Any, actor: Actor) -> bool:
    found = await session.scalar(
        select(RelaySubscriber.id)
        .join(Actor, Actor.id == RelaySubscriber.actor_id)
        .where(Actor.domain == actor.domain, RelaySubscriber.state == SubscriptionState.accepted)
    )
    return found is not None


async def handle_announce(ctx: InboxContext, activity: Activity, base: Handler) -> None:
    object_uri = activity.object_uri
    if object_uri is None:
        raise Ignored("Announce names no object")
    if ctx.svc.uris.is_ours(object_uri):
        await base(ctx, activity)  # a like or boost of our post
        return
    announcer = await ctx.actor(activity.actor_uri)
    async with ctx.svc.db.reader() as session:
        via_relay = await relays.is_subscribed_relay(session, announcer.uri)
        from_subscriber = ctx.recipient == relays.RELAY_USERNAME and await _approved_subscriber(
            session, announcer
        )
    if not (via_relay or from_subscriber or await _followed_by_us(ctx.svc, announcer.uri)):
        raise Ignored("a boost by someone we do not follow")
    data = await fetch_object(ctx.svc, object_uri)  # the embedded copy, if any, is never trusted
    try:
        author = await resolve_actor(ctx.svc, data.attributed_to)
    except ResolveError as exc:
        raise Ignored(f"cannot resolve the author: {exc}") from exc
    async with ctx.effect() as session:
        await store_object(session, ctx.svc, data, author)
        if via_relay and await memberships_of(session, author.id):
            await booster.consider(session, ctx.svc, member_post(data, author, "relay", None))
        if from_subscriber and PUBLIC in data.to:
            await relays.forward(session, ctx.svc, data.uri, origin=author.domain)


async def handle_update(ctx: InboxContext, activity: Activity, base: Handler) -> None:
    await base(ctx, activity)
    if activity.object_uri and activity.object_uri != activity.actor_uri and ctx.is_finished:
        async with ctx.svc.db.transaction() as session:
            # FEP-1b12: group-aware followers of the network see the member's edit.
            await booster.announce_activity(
                session, ctx.svc, activity.object_uri, activity.as_received
            )


async def handle_delete(ctx: InboxContext, activity: Activity, base: Handler) -> None:
    object_uri = activity.object_uri
    if object_uri is None or object_uri == activity.actor_uri:
        await base(ctx, activity)
        return
    async with ctx.svc.db.reader() as session:
        kept = await session.scalar(select(RemoteObject).where(RemoteObject.uri == object_uri))
        author = await session.scalar(select(Actor).where(Actor.uri == activity.actor_uri))
    if kept is None or author is None or kept.actor_id != author.id:
        raise Ignored("a delete of a post we do not keep, or by someone else")
    async with ctx.effect() as session:
        row = await session.get(RemoteObject, kept.id)
        if row is not None:
            row.deleted_at = ctx.svc.clock.now()
            row.content_html = row.summary = row.name = ""
            row.attachments = []
        await booster.announce_activity(session, ctx.svc, object_uri, activity.as_received)
        await booster.withdraw(session, ctx.svc, object_uri)


async def handle_follow(ctx: InboxContext, activity: Activity, base: Handler) -> None:
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
        return
    if is_public_follow:
        raise Ignored("a relay subscription, but this instance is not a relay")
    if network is not None:
        follower = await ctx.actor(activity.actor_uri)
        await learn_software(ctx.svc, follower.domain)  # which form of boost that server reads
    await base(ctx, activity)


async def handle_accept(ctx: InboxContext, activity: Activity, base: Handler) -> None:
    inner = get_id(activity.object)
    async with ctx.svc.db.reader() as session:
        pending = await session.scalar(
            select(RelaySubscription.id).where(
                RelaySubscription.follow_activity_uri == (inner or "")
            )
        )
    if pending is None:
        await base(ctx, activity)
        return
    async with ctx.effect() as session:
        if not await relays.accept_subscription(session, ctx.svc, inner, activity.actor_uri):
            raise Ignored("an accept of a relay subscription from someone else")


async def handle_undo(ctx: InboxContext, activity: Activity, base: Handler) -> None:
    inner = activity.embedded_object or {}
    inner_object = get_id(inner.get("object"))
    async with ctx.svc.db.reader() as session:
        relay = await relays.relay_actor(session)
    if (
        inner.get("type") == "Follow"
        and relay is not None
        and (inner_object in PUBLIC_FORMS or inner_object == relay.uri)
    ):
        subscriber = await ctx.actor(activity.actor_uri)
        async with ctx.effect() as session:
            await relays.remove_subscriber(session, subscriber.id)
        return
    await base(ctx, activity)


async def handle_move(ctx: InboxContext, activity: Activity) -> None:
    """An account moved (Move, with `alsoKnownAs` on the new one pointing back): our actors
    follow the new account and leave the old; memberships move with it."""
    old_uri = activity.object_uri
    new_uri = get_id(activity.document.get("target"))
    if old_uri != activity.actor_uri or new_uri is None:
        raise Ignored("only an account can move itself, to a target")
    try:
        new = await resolve_actor(ctx.svc, new_uri, refresh=True)
    except ResolveError as exc:
        raise Ignored(f"cannot resolve the new account: {exc}") from exc
    if old_uri not in new.also_known_as:
        raise Ignored("the new account does not name the old one in alsoKnownAs")
    old = await ctx.actor(old_uri)
    async with ctx.svc.db.reader() as session:
        followers = list(
            await session.scalars(
                select(Actor)
                .join(Follow, Follow.follower_id == Actor.id)
                .where(Follow.followed_id == old.id, Actor.kind != ActorKind.remote)
            )
        )
    for follower in followers:
        await follow_actor(ctx.svc, follower, new)
    async with ctx.effect() as session:
        await session.execute(
            update(Member).where(Member.actor_id == old.id).values(actor_id=new.id)
        )
        moved = await session.get(Actor, old.id)
        if moved is not None:
            moved.moved_to_uri = new.uri
        for follower in followers:
            row = await session.scalar(
                select(Follow).where(
                    Follow.follower_id == follower.id, Follow.followed_id == old.id
                )
            )
            if row is not None:
                await session.delete(row)
