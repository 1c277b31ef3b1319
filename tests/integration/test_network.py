"""The network actor: members anywhere, the curation queue with provenance, two forms of boost,
withdrawal on delete, join requests and the member directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from actors.models import Actor, ActorKind, Follow, FollowState
from actors.resolver import resolve_actor
from hambastegi.workers import inbox_worker
from network import booster
from network.members import (
    Application,
    MemberProfile,
    MembershipError,
    add_member,
    apply_to_join,
    approve_join,
)
from network.models import CurationItem, Trust
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.models import Visibility
from outbox.posts import create_post, delete_post, edit_post
from outbox.worker import DeliveryWorker
from tests.factories import make_actor
from tests.integration.inbox_support import Scene, scene
from tests.peer import Peer, activity

AS = {"Accept": "application/activity+json"}
PROFILE = MemberProfile(country="IR", sector="oil_gas", languages=("fa", "en"), trust=Trust.auto)


@dataclass
class Net:
    s: Scene
    lemmy: Peer  # a group-aware server following the network
    network: Actor
    union: Actor

    async def run(self) -> None:
        await inbox_worker(self.s.instance.svc).run_once()
        await DeliveryWorker(self.s.instance.svc).run_once()

    async def publish(self, body: str = "Strike news", **fields: Any) -> Any:
        draft = Draft(
            kind=fields.pop("kind", PostKind.note),
            body=body,
            language=fields.pop("language", "fa"),
            **fields,
        )
        post = await create_post(self.s.instance.svc, self.union, draft)
        await self.run()
        return post

    async def items(self) -> list[CurationItem]:
        async with self.s.instance.svc.db.reader() as session:
            return list(await session.scalars(select(CurationItem).order_by(CurationItem.id)))

    def received(self, peer: Peer, kind: str) -> list[dict[str, Any]]:
        return [r.json() for r in peer.deliveries() if r.json()["type"] == kind]


async def follow_from(s: Scene, peer: Peer, username: str, target: Actor) -> None:
    remote = peer.add_actor(username)
    actor = await resolve_actor(s.instance.svc, remote.uri)
    async with s.instance.svc.db.transaction() as session:
        session.add(
            Follow(
                follower_id=actor.id,
                followed_id=target.id,
                state=FollowState.accepted.value,
                created_at=s.instance.svc.clock.now(),
            )
        )


@pytest.fixture
async def net(tmp_path: Path) -> AsyncIterator[Net]:
    async with AsyncExitStack() as stack:
        s = await stack.enter_async_context(scene(tmp_path))
        lemmy = await stack.enter_async_context(Peer().running())
        lemmy.software = "lemmy"
        network = await make_actor(s.instance.svc, "solidarity", kind=ActorKind.network)
        async with s.instance.svc.db.reader() as session:
            union = await session.scalar(select(Actor).where(Actor.uri == s.union_uri))
        assert union is not None
        await follow_from(s, s.peer, "reader", network)
        await follow_from(s, lemmy, "community", network)
        from actors.software import learn_software

        await learn_software(s.instance.svc, lemmy.host)
        await learn_software(s.instance.svc, s.peer.host)
        await add_member(s.instance.svc, "solidarity", s.union_uri, PROFILE)
        yield Net(s, lemmy, network, union)


async def test_a_trusted_members_post_is_boosted_in_one_form_per_server(net: Net) -> None:
    post = await net.publish()

    [item] = await net.items()
    [plain] = net.received(net.s.peer, "Announce")
    [wrapped] = net.received(net.lemmy, "Announce")

    assert item.state == "boosted"
    assert item.source == "local"
    assert "trusted member" in item.rule
    assert plain["actor"] == net.network.uri
    assert plain["object"] == post.uri  # the form Mastodon shows as a boost
    assert wrapped["object"]["type"] == "Create"  # FEP-1b12, as the member sent it
    assert wrapped["object"]["object"]["id"] == post.uri
    assert net.received(net.lemmy, "Announce") == [wrapped]  # nobody gets both forms


async def test_the_networks_outbox_lists_the_boost(net: Net) -> None:
    post = await net.publish()

    outbox = (await net.s.instance.http.get("/actors/solidarity/outbox?page=1", headers=AS)).json()

    assert [(i["type"], i["object"]) for i in outbox["orderedItems"]] == [("Announce", post.uri)]


async def test_a_review_members_post_waits_for_a_curator(net: Net) -> None:
    from network.members import set_trust

    await set_trust(net.s.instance.svc, "solidarity", s_uri := net.s.union_uri, Trust.review)
    post = await net.publish()
    [item] = await net.items()
    assert item.state == "pending"
    assert "reviewed by a curator" in item.rule
    assert net.received(net.s.peer, "Announce") == []

    await booster.decide(
        net.s.instance.svc, item.id, approve=True, curator="maryam", note="Verified by phone"
    )
    await net.run()

    [decided] = await net.items()
    assert decided.state == "boosted"
    assert decided.note == "Verified by phone"
    assert decided.decided_by == "maryam"
    assert [a["object"] for a in net.received(net.s.peer, "Announce")] == [post.uri]
    assert s_uri


async def test_a_rejected_item_is_never_boosted(net: Net) -> None:
    from network.members import set_trust

    await set_trust(net.s.instance.svc, "solidarity", net.s.union_uri, Trust.review)
    await net.publish()
    [item] = await net.items()

    await booster.decide(net.s.instance.svc, item.id, approve=False, curator=None, note="duplicate")
    await net.run()

    assert (await net.items())[0].state == "rejected"
    assert net.received(net.s.peer, "Announce") == []
    with pytest.raises(booster.CurationError, match="already rejected"):
        await booster.decide(net.s.instance.svc, item.id, approve=True, curator=None, note="")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"visibility": Visibility.followers}, None),
        ({"in_reply_to": "https://elsewhere.example/notes/1"}, None),
        ({"visibility": Visibility.unlisted}, "held: unlisted"),
        ({"language": "ar"}, "outside the member's"),
    ],
)
async def test_what_is_never_boosted_automatically(
    net: Net, fields: dict[str, Any], expected: str | None
) -> None:
    await net.publish(**fields)

    items = await net.items()

    assert net.received(net.s.peer, "Announce") == []
    if expected is None:
        assert items == []
    else:
        assert expected in items[0].rule


async def test_a_post_mentioning_many_accounts_is_held(net: Net) -> None:
    handles = []
    for n in range(5):
        net.s.peer.add_actor(f"group{n}")
        handles.append(f"@group{n}@{net.s.peer.host}")

    await net.publish(" ".join(handles))

    [item] = await net.items()
    assert item.state == "pending"
    assert "mentions 5 accounts" in item.rule


async def test_a_members_delete_undoes_the_boost(net: Net) -> None:
    post = await net.publish()

    await delete_post(net.s.instance.svc, post.public_id)
    await net.run()

    [undo] = net.received(net.s.peer, "Undo")
    outbox = (await net.s.instance.http.get("/actors/solidarity/outbox?page=1", headers=AS)).json()
    assert undo["actor"] == net.network.uri
    assert undo["object"]["type"] == "Announce"
    assert undo["object"]["object"] == post.uri
    assert (await net.items())[0].state == "withdrawn"
    assert outbox["orderedItems"] == []


async def test_a_members_edit_reaches_everyone_who_got_the_boost(net: Net) -> None:
    post = await net.publish("Day one")

    await edit_post(
        net.s.instance.svc,
        post.public_id,
        Draft(kind=PostKind.note, body="Day one: won!", language="fa"),
    )
    await net.run()

    assert [u["object"]["content"] for u in net.received(net.s.peer, "Update")] == [
        "<p>Day one: won!</p>"
    ]
    [announced_update] = [
        a for a in net.received(net.lemmy, "Announce") if a["object"]["type"] == "Update"
    ]
    assert announced_update["object"]["object"]["id"] == post.uri


async def test_a_remote_members_post_arrives_through_the_inbox_and_is_boosted(net: Net) -> None:
    bob = net.s.peer.add_actor("bob")
    await add_member(
        net.s.instance.svc, "solidarity", bob.uri, MemberProfile("IQ", "transport", (), Trust.auto)
    )
    note = {
        "id": f"{bob.uri}/notes/1",
        "type": "Note",
        "attributedTo": bob.uri,
        "content": "Drivers strike",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "contentMap": {"ar": "Drivers strike"},
    }
    create = activity(bob, "Create", note)

    assert (await net.s.post_signed(create, actor=bob)).status_code == 202
    await net.run()
    [item] = await net.items()
    await net.s.post_signed(activity(bob, "Delete", note["id"]), actor=bob)
    await net.run()

    assert item.source == "inbox"
    assert item.language == "ar"
    assert [a["object"] for a in net.received(net.s.peer, "Announce")] == [note["id"]]
    [wrapped] = [a for a in net.received(net.lemmy, "Announce") if a["object"]["type"] == "Create"]
    assert wrapped["object"] == create  # preserved exactly as received (FEP-1b12)
    assert [u["object"]["object"] for u in net.received(net.s.peer, "Undo")] == [note["id"]]
    assert item.state == "boosted"
    assert (await net.items())[0].state == "withdrawn"


async def test_a_join_request_becomes_a_new_local_organisation(net: Net) -> None:
    request = await apply_to_join(
        net.s.instance.svc,
        "solidarity",
        Application(
            organisation="Bus drivers' syndicate",
            contact="signal: +000",
            profile=MemberProfile("TN", "transport"),
            description="Tunis bus drivers",
        ),
    )
    with pytest.raises(MembershipError, match="give --username"):
        await approve_join(net.s.instance.svc, request.id)

    member = await approve_join(net.s.instance.svc, request.id, username="tunis_drivers")

    directory = (
        await net.s.instance.http.get("/actors/solidarity/members?country=TN", headers=AS)
    ).json()
    assert member.country == "TN"
    assert [m["preferredUsername"] for m in directory["orderedItems"]] == ["tunis_drivers"]
    assert directory["orderedItems"][0]["name"] == "Bus drivers' syndicate"


async def test_a_join_request_with_an_account_registers_it_and_follows(net: Net) -> None:
    carol = net.s.peer.add_actor("carol")
    request = await apply_to_join(
        net.s.instance.svc,
        "solidarity",
        Application(
            organisation="Carol's union",
            contact="carol@example.org",
            profile=MemberProfile("EG", "textiles"),
            account=f"carol@{net.s.peer.host}",
        ),
    )

    await approve_join(net.s.instance.svc, request.id)
    await net.run()

    follows = [r.json() for r in net.s.peer.deliveries() if r.json()["type"] == "Follow"]
    assert [(f["actor"], f["object"]) for f in follows] == [(net.network.uri, carol.uri)]


async def test_the_member_directory(net: Net) -> None:
    directory = (await net.s.instance.http.get("/actors/solidarity/members", headers=AS)).json()

    [entry] = directory["orderedItems"]
    assert entry["id"] == net.s.union_uri
    assert (entry["country"], entry["sector"], entry["languages"]) == (
        "IR",
        "oil_gas",
        ["fa", "en"],
    )
    assert entry["memberSince"]


@pytest.mark.parametrize(
    ("account", "profile", "message"),
    [
        ("union", PROFILE, "already a member"),
        ("union", MemberProfile("XX", "oil_gas"), "country must be"),
        ("union", MemberProfile("IR", "spaceflight"), "sector must be"),
        ("ghost@127.0.0.1:9", PROFILE, "cannot find"),
    ],
)
async def test_bad_membership_requests_are_refused(
    net: Net, account: str, profile: MemberProfile, message: str
) -> None:
    account = net.s.union_uri if account == "union" else account

    with pytest.raises(MembershipError, match=message):
        await add_member(net.s.instance.svc, "solidarity", account, profile)


async def remote_member(net: Net, name: str = "bob") -> Any:
    bob = net.s.peer.add_actor(name)
    await add_member(
        net.s.instance.svc, "solidarity", bob.uri, MemberProfile("IQ", "transport", (), Trust.auto)
    )
    return bob


def remote_note(bob: Any, n: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{bob.uri}/notes/{n}",
        "type": "Note",
        "attributedTo": bob.uri,
        "content": f"Drivers strike, day {n}",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        **fields,
    }


async def test_forwarding_a_members_delete_never_undoes_the_forwarded_delete(net: Net) -> None:
    bob = await remote_member(net)
    note = remote_note(bob, 1)
    await net.s.post_signed(activity(bob, "Create", note), actor=bob)
    await net.run()

    await net.s.post_signed(activity(bob, "Delete", note["id"]), actor=bob)
    await net.run()

    announced = [a["object"] for a in net.received(net.lemmy, "Announce")]
    undone = [u["object"] for u in net.received(net.lemmy, "Undo")]
    assert any(isinstance(o, dict) and o.get("type") == "Delete" for o in announced)
    assert not any(
        isinstance(u.get("object"), dict) and u["object"].get("type") == "Delete" for u in undone
    )


async def test_a_members_reply_in_its_own_thread_is_kept_though_we_missed_the_first_post(
    net: Net,
) -> None:
    bob = await remote_member(net)
    first = remote_note(bob, 1)
    net.s.peer.serve("/users/bob/notes/1", first)  # served by its origin, never sent to us
    reply = remote_note(bob, 2, inReplyTo=first["id"])

    assert (await net.s.post_signed(activity(bob, "Create", reply), actor=bob)).status_code == 202
    await net.run()

    items = {i.object_uri: i for i in await net.items()}
    assert reply["id"] in items
    assert items[reply["id"]].state in ("pending", "boosted")
    async with net.s.instance.svc.db.reader() as session:
        from inbox.models import RemoteObject

        kept = set(await session.scalars(select(RemoteObject.uri)))
    assert {first["id"], reply["id"]} <= kept


async def test_a_reply_to_someone_else_or_to_an_unnamed_post_is_never_boosted(net: Net) -> None:
    bob = await remote_member(net)
    for n, target in enumerate(
        [["https://elsewhere.example/1"], {"type": "Collection", "totalItems": 1}], start=1
    ):
        note = remote_note(bob, n, inReplyTo=target)
        await net.s.post_signed(activity(bob, "Create", note, suffix=str(n)), actor=bob)
    await net.run()

    assert [i.state for i in await net.items()] == []


async def test_a_unique_key_race_in_processing_is_retried_never_lost(net: Net) -> None:
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    from inbox.models import ReceivedActivity
    from inbox.worker import InboxWorker

    svc = net.s.instance.svc
    calls: list[str] = []

    async def raced(ctx: Any, act: Any) -> None:
        # The race shows twice: in the fast lane's first run (which rolls back whole) and in
        # its second, where the activity has a savepoint and is retried later on its own.
        calls.append(act.uri)
        if len(calls) <= 2:
            raise IntegrityError("INSERT", {}, Exception("duplicate key value"))

    bob = await remote_member(net)
    await net.s.post_signed(activity(bob, "Create", remote_note(bob, 1)), actor=bob)
    worker = InboxWorker(svc, {"Create": raced})
    await worker.run_once()
    async with svc.db.reader() as session:
        [row] = list(await session.scalars(select(ReceivedActivity)))
    assert (row.state, row.attempts) == ("received", 1)

    async with svc.db.transaction() as session:  # its short back-off has passed
        await session.execute(update(ReceivedActivity).values(next_attempt_at=svc.clock.now()))
    await worker.run_once()
    async with svc.db.reader() as session:
        [row] = list(await session.scalars(select(ReceivedActivity)))
    assert row.state == "processed"
    assert len(calls) == 3


async def network_follows(net: Net) -> dict[str, str]:
    async with net.s.instance.svc.db.reader() as session:
        rows = await session.execute(
            select(Actor.uri, Follow.state)
            .join(Follow, Follow.followed_id == Actor.id)
            .where(Follow.follower_id == net.network.id)
        )
        return {uri: state for uri, state in rows}


async def test_a_member_that_moves_is_followed_at_its_new_address_and_stays_a_member(
    net: Net,
) -> None:
    from network.models import Member

    bob = await remote_member(net)
    await net.run()
    assert bob.uri in await network_follows(net)
    new_bob = net.s.peer.add_actor("bob_new", alsoKnownAs=[bob.uri])
    move = activity(bob, "Move", bob.uri, target=new_bob.uri)

    assert (await net.s.post_signed(move, actor=bob)).status_code == 202
    await net.run()

    follows = await network_follows(net)
    assert bob.uri not in follows
    assert new_bob.uri in follows  # the network follows the new address
    sent = [r.json() for r in net.s.peer.deliveries() if r.path == "/users/bob_new/inbox"]
    assert [d["type"] for d in sent] == ["Follow"]
    async with net.s.instance.svc.db.reader() as session:
        old = await session.scalar(select(Actor).where(Actor.uri == bob.uri))
        member_actors = set(
            await session.scalars(select(Actor.uri).join(Member, Member.actor_id == Actor.id))
        )
    assert old is not None
    assert old.moved_to_uri == new_bob.uri
    assert new_bob.uri in member_actors  # the membership moved with it
    assert bob.uri not in member_actors


async def test_a_move_to_an_account_that_does_not_name_the_old_one_changes_nothing(
    net: Net,
) -> None:
    bob = await remote_member(net)
    await net.run()
    impostor = net.s.peer.add_actor("impostor")  # no alsoKnownAs pointing back
    before = await network_follows(net)

    await net.s.post_signed(activity(bob, "Move", bob.uri, target=impostor.uri), actor=bob)
    await net.run()

    assert await network_follows(net) == before
    async with net.s.instance.svc.db.reader() as session:
        from inbox.models import ReceivedActivity

        [row] = list(
            await session.scalars(select(ReceivedActivity).where(ReceivedActivity.type == "Move"))
        )
    assert row.state == "ignored"
    assert "alsoKnownAs" in (row.error or "")
