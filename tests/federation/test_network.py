"""The network across three real instances: member M publishes on one, network N on two follows
M and boosts by policy, reader R on three follows N, gets a verified Announce and fetches the
original from one with a signed GET; M deletes and R gets Undo(Announce). And relays."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from actors.models import Actor, ActorKind, Follow, FollowState
from actors.resolver import resolve_handle
from inbox.models import ReceivedActivity, RemoteObject
from network import booster, relays
from network.members import MemberProfile, add_member
from network.models import CurationItem, RelayStyle, Trust
from outbox.compose import Draft
from outbox.follows import follow
from outbox.kinds import PostKind
from outbox.posts import create_post, delete_post
from tests.factories import make_actor
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation
Trio = tuple[Instance, Instance, Instance]


async def received(instance: Instance, activity_type: str) -> list[dict[str, Any]]:
    async with instance.svc.db.reader() as session:
        rows = await session.scalars(
            select(ReceivedActivity.document).where(ReceivedActivity.type == activity_type)
        )
        return list(rows)


async def kept(instance: Instance, uri: str) -> RemoteObject | None:
    async with instance.svc.db.reader() as session:
        return await session.scalar(select(RemoteObject).where(RemoteObject.uri == uri))


async def accepted_follows(instance: Instance) -> int:
    async with instance.svc.db.reader() as session:
        return (
            await session.scalar(
                select(func.count()).select_from(Follow).where(Follow.state == FollowState.accepted)
            )
            or 0
        )


async def items(instance: Instance) -> list[CurationItem]:
    async with instance.svc.db.reader() as session:
        return list(await session.scalars(select(CurationItem).order_by(CurationItem.id)))


async def network_with_reader(trio: Trio, trust: Trust = Trust.auto) -> tuple[Actor, Actor]:
    one, two, three = trio
    member = await make_actor(one.svc, "union")
    network = await make_actor(two.svc, "solidarity", kind=ActorKind.network)
    await add_member(
        two.svc, "solidarity", f"union@{one.host}", MemberProfile("IR", "oil_gas", (), trust)
    )
    reader = await make_actor(three.svc, "reader")
    await follow(three.svc, reader, await resolve_handle(three.svc, f"solidarity@{two.host}"))
    await eventually(lambda: accepted_follows(one))  # N follows M
    await eventually(lambda: accepted_follows(two), until=lambda n: n >= 2)  # and R follows N
    return member, network


async def test_a_boost_reaches_the_reader_who_fetches_the_original_and_a_delete_undoes_it(
    trio: Trio,
) -> None:
    one, two, three = trio
    member, network = await network_with_reader(trio)

    post = await create_post(
        one.svc, member, Draft(kind=PostKind.note, body="Refinery strike", language="fa")
    )
    [announce] = await eventually(lambda: received(three, "Announce"))
    original = await eventually(lambda: kept(three, post.uri))
    await delete_post(one.svc, post.public_id)
    [undo] = await eventually(lambda: received(three, "Undo"))

    assert announce["actor"] == network.uri
    assert announce["object"] == post.uri
    assert original is not None
    assert original.content_html == "<p>Refinery strike</p>"  # fetched from instance one
    assert undo["object"]["type"] == "Announce"
    assert undo["object"]["object"] == post.uri
    assert (await items(two))[0].state == "withdrawn"


async def test_a_review_members_post_waits_until_a_curator_approves(trio: Trio) -> None:
    one, two, three = trio
    member, _network = await network_with_reader(trio, Trust.review)

    post = await create_post(
        one.svc, member, Draft(kind=PostKind.note, body="Needs checking", language="fa")
    )
    [item] = await eventually(lambda: items(two))
    nothing_yet = await received(three, "Announce")
    await booster.decide(two.svc, item.id, approve=True, curator="curator", note="checked")
    [announce] = await eventually(lambda: received(three, "Announce"))

    assert item.state == "pending"
    assert nothing_yet == []
    assert announce["object"] == post.uri


@pytest.mark.parametrize("style", [RelayStyle.mastodon, RelayStyle.litepub])
async def test_a_server_subscribed_to_the_networks_relay_receives_members_public_posts(
    trio: Trio, style: RelayStyle
) -> None:
    one, two, _three = trio
    relay = await relays.enable_relay(two.svc)
    member = await make_actor(two.svc, "union")
    await make_actor(two.svc, "solidarity", kind=ActorKind.network)
    await add_member(
        two.svc, "solidarity", member.uri, MemberProfile("EG", "textiles", (), Trust.review)
    )
    await make_actor(one.svc, "friends", kind=ActorKind.network)
    target = relay.inbox_uri if style == RelayStyle.mastodon else relay.uri
    await relays.subscribe(one.svc, "friends", target or "", style)
    await eventually(lambda: _subscribers(two))
    await relays.decide_subscription(two.svc, one.host, approve=True)
    await eventually(lambda: _relay_accepted(one))

    post = await create_post(
        two.svc, member, Draft(kind=PostKind.note, body="For every relay", language="ar")
    )
    original = await eventually(lambda: kept(one, post.uri))

    assert original is not None
    assert original.content_html == "<p>For every relay</p>"


async def _subscribers(instance: Instance) -> int:
    async with instance.svc.db.reader() as session:
        return len(await relays.list_subscribers(session))


async def _relay_accepted(instance: Instance) -> bool:
    async with instance.svc.db.reader() as session:
        network = await session.scalar(select(Actor).where(Actor.username == "friends"))
        assert network is not None
        return any(s.state == "accepted" for s in await relays.subscriptions(session, network.id))
