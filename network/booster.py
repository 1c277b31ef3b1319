"""From a member's post to the network's boost: the curation queue with provenance, the policy,
and the two forms of boost, one per server so nobody sees a post twice:

- `Announce(object id)` to Mastodon and most microblogs (the form they show as a boost);
- `Announce(Create)`, wrapping the member's Create exactly as received (FEP-1b12), to servers
  whose NodeInfo says they run group-aware software (Lemmy, Friendica, PieFed, Mbin, …).

A member's edit reaches every server that got the boost; a member's delete undoes the boost.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.models import Actor, delivery_inbox
from actors.software import group_aware_domains
from content.html import html_to_text
from core.uris import authority
from federation.vocab import PUBLIC, JsonObject
from inbox.models import RemoteObject
from network import relays
from network.members import memberships_of
from network.models import CurationItem, CurationState, Member, NetworkPolicy
from network.policy import Action, Candidate, Rules, decide_boost
from outbox.enqueue import enqueue
from outbox.follows import follower_inboxes
from outbox.models import Delivery, OutboxActivity, Post
from runtime.services import Services

EXCERPT_LENGTH = 280


class CurationError(Exception):
    """A curation request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class MemberPost:
    """A member's post as it reached the network."""

    object_uri: str
    author: Actor
    source: str  # local | inbox
    create_activity: JsonObject | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    in_reply_to: str | None
    language: str
    kind: str
    hashtags: tuple[str, ...]
    mentions: int
    content_html: str
    is_reply: bool = False  # a reply even when what it answers could not be named

    @property
    def answers_something(self) -> bool:
        return self.is_reply or self.in_reply_to is not None


async def consider(session: AsyncSession, svc: Services, post: MemberPost) -> list[CurationItem]:
    """Queue (and, by policy, boost) a member's post for every network it is a member of."""
    items = []
    for member, network in await memberships_of(session, post.author.id):
        if await session.scalar(
            select(CurationItem.id).where(
                CurationItem.network_id == network.id, CurationItem.object_uri == post.object_uri
            )
        ):
            continue
        decision = decide_boost(await _candidate(session, post), await _rules(session, member))
        if decision.action == Action.skip:
            continue
        item = CurationItem(
            network_id=network.id,
            member_id=member.id,
            object_uri=post.object_uri,
            create_activity=post.create_activity,
            source=post.source,
            language=post.language,
            kind=post.kind,
            excerpt=html_to_text(post.content_html)[:EXCERPT_LENGTH],
            state=CurationState.pending,
            rule=decision.reason,
            received_at=svc.clock.now(),
        )
        session.add(item)
        await session.flush()
        if decision.action == Action.boost:
            await boost(session, svc, network, item)
        items.append(item)
    if PUBLIC in post.to and not post.answers_something and items:
        await relays.forward(session, svc, post.object_uri, origin=authority(post.author.uri))
    return items


async def _candidate(session: AsyncSession, post: MemberPost) -> Candidate:
    own_thread = False
    if post.in_reply_to:
        parent_author = await session.scalar(
            select(Post.actor_id).where(Post.uri == post.in_reply_to)
        ) or await session.scalar(
            select(RemoteObject.actor_id).where(RemoteObject.uri == post.in_reply_to)
        )
        own_thread = parent_author == post.author.id
    return Candidate(
        is_member=True,
        is_public=PUBLIC in post.to,
        is_unlisted=PUBLIC not in post.to and PUBLIC in post.cc,
        is_reply=post.answers_something,
        replies_to_own_post=own_thread,
        language=post.language,
        kind=post.kind,
        hashtags=post.hashtags,
        mentions=post.mentions,
    )


async def _rules(session: AsyncSession, member: Member) -> Rules:
    policy = await session.get(NetworkPolicy, member.network_id)
    return Rules(
        trust=member.trust,
        member_languages=tuple(member.languages),
        member_kinds=tuple(member.kinds),
        network_languages=tuple(policy.languages) if policy else (),
        network_kinds=tuple(policy.kinds) if policy else (),
        required_hashtags=tuple(policy.required_hashtags) if policy else (),
        held_hashtags=tuple(policy.held_hashtags) if policy else (),
        max_mentions=policy.max_mentions if policy else 4,
    )


async def boost(
    session: AsyncSession,
    svc: Services,
    network: Actor,
    item: CurationItem,
    *,
    curator: str | None = None,
    note: str = "",
    author: Actor | None = None,
) -> None:
    """Announce the item to the network's followers and relays (and, for a post from outside
    the network, to its author, whose server then tells them)."""
    member_actor = (
        await session.scalar(
            select(Actor)
            .join(Member, Member.actor_id == Actor.id)
            .where(Member.id == item.member_id)
        )
        if item.member_id is not None
        else author
    )
    inboxes = set(await follower_inboxes(session, network)) | set(
        await relays.relay_inboxes(session, network.id)
    )
    if author is not None and not author.is_local:
        inboxes.add(delivery_inbox(author.shared_inbox_uri, author.inbox_uri) or "")
    grouped: set[str] = set()
    if item.create_activity is not None:
        aware = await group_aware_domains(svc, {authority(i) for i in inboxes})
        grouped = {i for i in inboxes if authority(i) in aware}
    published = svc.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    cc = [uri for uri in (network.followers_uri, member_actor.uri if member_actor else None) if uri]
    audience: JsonObject = {"to": [PUBLIC], "cc": cc}
    await enqueue(
        session,
        svc,
        network,
        {
            "type": "Announce",
            "actor": network.uri,
            "object": item.object_uri,
            "published": published,
            **audience,
        },
        sorted(inboxes - grouped),
        listed=True,
    )
    if grouped and item.create_activity is not None:
        await enqueue(
            session,
            svc,
            network,
            {
                "type": "Announce",
                "actor": network.uri,
                "object": item.create_activity,
                "published": published,
                **audience,
            },
            sorted(grouped),
            about=item.object_uri,
        )
    item.state = CurationState.boosted
    item.decided_at = svc.clock.now()
    item.decided_by = curator
    item.note = note or item.note


async def announce_activity(
    session: AsyncSession, svc: Services, object_uri: str, activity: JsonObject
) -> None:
    """FEP-1b12: pass a member's Update or Delete of a boosted post to group-aware followers."""
    rows = await session.execute(
        select(CurationItem, Actor)
        .join(Actor, Actor.id == CurationItem.network_id)
        .where(CurationItem.object_uri == object_uri, CurationItem.state == CurationState.boosted)
    )
    for _item, network in rows.all():
        inboxes = set(await follower_inboxes(session, network))
        aware = await group_aware_domains(svc, {authority(i) for i in inboxes})
        grouped = sorted(i for i in inboxes if authority(i) in aware)
        if grouped:
            await enqueue(
                session,
                svc,
                network,
                {
                    "type": "Announce",
                    "actor": network.uri,
                    "object": activity,
                    "to": [PUBLIC],
                    "cc": [network.followers_uri],
                },
                grouped,
                about=object_uri,
            )


def _passes_on_a_change(announce: JsonObject) -> bool:
    inner = announce.get("object")
    return isinstance(inner, dict) and inner.get("type") in {"Update", "Delete"}


async def withdraw(session: AsyncSession, svc: Services, object_uri: str) -> int:
    """The member deleted the post: every boost of it is undone and the item leaves the feed."""
    items = list(
        await session.scalars(select(CurationItem).where(CurationItem.object_uri == object_uri))
    )
    for item in items:
        if item.state == CurationState.boosted:
            announces = await session.scalars(
                select(OutboxActivity).where(
                    OutboxActivity.actor_id == item.network_id,
                    OutboxActivity.type == "Announce",
                    OutboxActivity.object_uri == object_uri,
                )
            )
            network = await session.get(Actor, item.network_id)
            for announce in announces:
                if _passes_on_a_change(announce.document):
                    continue  # an Announce of the member's Update or Delete is never taken back
                announce.is_listed = False
                if network is None:
                    continue
                inboxes = await session.scalars(  # each form is undone where it went
                    select(Delivery.inbox_uri).where(Delivery.activity_id == announce.id)
                )
                undo = {
                    "type": "Undo",
                    "actor": network.uri,
                    "to": [PUBLIC],
                    "object": {k: v for k, v in announce.document.items() if k != "@context"},
                }
                await enqueue(session, svc, network, undo, sorted(inboxes), about=object_uri)
        item.state = CurationState.withdrawn
    return len(items)


async def decide(
    svc: Services, item_id: int, *, approve: bool, curator: str | None, note: str
) -> CurationItem:
    """A curator's decision on a held item: approving boosts at once."""
    async with svc.db.transaction() as session:
        item = await session.get(CurationItem, item_id)
        if item is None:
            raise CurationError(f"no curation item #{item_id}")
        if item.state != CurationState.pending:
            raise CurationError(f"item #{item_id} is already {item.state}")
        if approve:
            network = await session.get(Actor, item.network_id)
            if network is None:
                raise CurationError("the network actor is gone")
            await boost(session, svc, network, item, curator=curator, note=note)
        else:
            item.state = CurationState.rejected
            item.decided_at = svc.clock.now()
            item.decided_by = curator
            item.note = note
        return item


async def queue(
    session: AsyncSession, network_id: int, states: tuple[str, ...] = ("pending",)
) -> list[tuple[CurationItem, Actor]]:
    rows = await session.execute(
        select(CurationItem, Actor)
        .join(Member, Member.id == CurationItem.member_id)
        .join(Actor, Actor.id == Member.actor_id)
        .where(CurationItem.network_id == network_id, CurationItem.state.in_(states))
        .order_by(CurationItem.received_at.desc())
    )
    return [(i, a) for i, a in rows.all()]
