"""CLI commands for the network: members, join requests, curation, relays. (Their errors are
in `cli.main`'s one table.)"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from network import booster, relays
from network.members import (
    Application,
    MemberProfile,
    add_member,
    apply_to_join,
    approve_join,
    list_join_requests,
    list_members,
    network_actor,
    reject_join,
    remove_member,
    set_trust,
)
from network.models import JoinState, RelayStyle, Trust
from network.solidarity import solidarity_boost, take_back
from runtime.services import Services


def add_commands(commands: Any) -> None:
    solidarity = commands.add_parser(
        "boost", help="boost a public post from anywhere, in solidarity (fetched from its origin)"
    )
    solidarity.add_argument("network")
    solidarity.add_argument("url", help="the post's address")
    solidarity.add_argument("--note", default="", help="an editorial note shown with the boost")
    unboost = commands.add_parser("unboost", help="take back the network's boost of a post")
    unboost.add_argument("network")
    unboost.add_argument("url")
    member = commands.add_parser("member", help="the network's members, wherever they publish")
    sub = member.add_subparsers(dest="member_command", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="register a member by handle or URL; the network follows it")
    add.add_argument("network")
    add.add_argument("account", help="user@host handle or actor URL (here or on any server)")
    _profile_options(add)
    add.add_argument("--trust", choices=[t.value for t in Trust], default=Trust.review)
    add.add_argument("--since", type=date.fromisoformat, help="member since (YYYY-MM-DD)")
    lst = sub.add_parser("list", help="members, by country and sector")
    lst.add_argument("network")
    lst.add_argument("--country")
    lst.add_argument("--sector")
    rm = sub.add_parser("remove", help="end a membership; the network unfollows")
    rm.add_argument("network")
    rm.add_argument("account")
    trust = sub.add_parser("trust", help="auto: boosted at once; review: a curator decides")
    trust.add_argument("network")
    trust.add_argument("account")
    trust.add_argument("level", choices=[t.value for t in Trust])

    join = commands.add_parser("join", help="applications to join the network")
    jsub = join.add_subparsers(dest="join_command", required=True, metavar="ACTION")
    request = jsub.add_parser("request", help="record an application")
    request.add_argument("network")
    request.add_argument("--name", required=True, help="the organisation's name")
    request.add_argument("--contact", required=True, help="how curators reach them (kept private)")
    request.add_argument("--account", help="their fediverse account, if they have one")
    request.add_argument("--description", default="")
    _profile_options(request)
    jlist = jsub.add_parser("list", help="pending applications")
    jlist.add_argument("network")
    jlist.add_argument("--all", action="store_true", help="decided ones too")
    approve = jsub.add_parser("approve", help="register the applicant as a member")
    approve.add_argument("request_id", type=int)
    approve.add_argument("--username", help="a new local organisation, when they have no account")
    approve.add_argument("--trust", choices=[t.value for t in Trust], default=Trust.review)
    approve.add_argument("--note", default="")
    reject = jsub.add_parser("reject", help="decline an application")
    reject.add_argument("request_id", type=int)
    reject.add_argument("--note", required=True)

    curate = commands.add_parser("curate", help="the network's curation queue")
    csub = curate.add_subparsers(dest="curate_command", required=True, metavar="ACTION")
    clist = csub.add_parser("list", help="items waiting for a curator (with provenance)")
    clist.add_argument("network")
    clist.add_argument("--all", action="store_true", help="decided items too")
    for name, text in (("approve", "boost it now"), ("reject", "do not boost it")):
        decide = csub.add_parser(name, help=text)
        decide.add_argument("item_id", type=int)
        decide.add_argument("--note", default="", help="an editorial note (kept with the item)")
        decide.add_argument("--curator", help="who decides (kept internally, never federated)")

    relay = commands.add_parser("relay", help="relays: subscribe the network, or serve as one")
    rsub = relay.add_subparsers(dest="relay_command", required=True, metavar="ACTION")
    subscribe = rsub.add_parser("subscribe", help="subscribe the network actor to a relay")
    subscribe.add_argument("network")
    subscribe.add_argument("relay", help="the relay's inbox URL (mastodon) or actor URL (litepub)")
    subscribe.add_argument(
        "--style", choices=[s.value for s in RelayStyle], default=RelayStyle.mastodon
    )
    unsubscribe = rsub.add_parser("unsubscribe", help="leave a relay")
    unsubscribe.add_argument("network")
    unsubscribe.add_argument("relay")
    status = rsub.add_parser("status", help="the network's relay subscriptions")
    status.add_argument("network")
    rsub.add_parser("enable", help="serve as a relay (the `relay` actor)")
    rsub.add_parser("subscribers", help="servers subscribed to our relay")
    for name, text in (("approve", "accept a server's subscription"), ("reject", "refuse it")):
        decide = rsub.add_parser(name, help=text)
        decide.add_argument("subscriber", help="the subscriber's domain or actor URL")


def _profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--country", required=True, help="ISO 3166 code: IR, IQ, EG, TN, TR, …")
    parser.add_argument("--sector", required=True)
    parser.add_argument("--language", action="append", default=[], dest="languages", metavar="LANG")


def handlers(args: argparse.Namespace) -> dict[tuple[str, str | None], Any]:
    return {
        ("boost", None): lambda svc: boost_command(svc, args),
        ("unboost", None): lambda svc: unboost_command(svc, args),
        ("member", "add"): lambda svc: member_add(svc, args),
        ("member", "list"): lambda svc: member_list(svc, args),
        ("member", "remove"): lambda svc: member_remove(svc, args),
        ("member", "trust"): lambda svc: member_trust(svc, args),
        ("join", "request"): lambda svc: join_request(svc, args),
        ("join", "list"): lambda svc: join_list(svc, args),
        ("join", "approve"): lambda svc: join_approve(svc, args),
        ("join", "reject"): lambda svc: join_reject(svc, args),
        ("curate", "list"): lambda svc: curate_list(svc, args),
        ("curate", "approve"): lambda svc: curate_decide(svc, args, approve=True),
        ("curate", "reject"): lambda svc: curate_decide(svc, args, approve=False),
        ("relay", "subscribe"): lambda svc: relay_subscribe(svc, args),
        ("relay", "unsubscribe"): lambda svc: relay_unsubscribe(svc, args),
        ("relay", "status"): lambda svc: relay_status(svc, args),
        ("relay", "enable"): relay_enable,
        ("relay", "subscribers"): relay_subscribers,
        ("relay", "approve"): lambda svc: relay_decide(svc, args, approve=True),
        ("relay", "reject"): lambda svc: relay_decide(svc, args, approve=False),
    }


def _profile(args: argparse.Namespace, trust: str = Trust.review) -> MemberProfile:
    return MemberProfile(
        country=args.country,
        sector=args.sector,
        languages=tuple(args.languages),
        trust=Trust(trust),
        since=getattr(args, "since", None),
    )


async def member_add(svc: Services, args: argparse.Namespace) -> int:
    member = await add_member(svc, args.network, args.account, _profile(args, args.trust))
    print(
        f"member #{member.id} added ({member.country}, {member.sector}, "
        f"trust {member.trust}); following"
    )
    return 0


async def member_list(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        network = await network_actor(session, args.network)
        rows = await list_members(session, network, country=args.country, sector=args.sector)
    if not rows:
        print("no members yet")
    for member, actor in rows:
        langs = ",".join(member.languages) or "any"
        print(
            f"{member.country}  {member.sector:<16} {member.trust:<6} {langs:<10} "
            f"since {member.since}  {actor.username}@{actor.domain}  {actor.display_name}"
        )
    return 0


async def member_remove(svc: Services, args: argparse.Namespace) -> int:
    await remove_member(svc, args.network, args.account)
    print(f"removed {args.account}; the network no longer follows it")
    return 0


async def member_trust(svc: Services, args: argparse.Namespace) -> int:
    member = await set_trust(svc, args.network, args.account, Trust(args.level))
    print(f"member #{member.id} trust is now {member.trust}")
    return 0


async def join_request(svc: Services, args: argparse.Namespace) -> int:
    request = await apply_to_join(
        svc,
        args.network,
        Application(
            organisation=args.name,
            contact=args.contact,
            profile=_profile(args),
            account=args.account,
            description=args.description,
        ),
    )
    print(f"join request #{request.id} recorded; a curator will review it")
    return 0


async def join_list(svc: Services, args: argparse.Namespace) -> int:
    states = tuple(JoinState) if args.all else (JoinState.pending,)
    async with svc.db.reader() as session:
        network = await network_actor(session, args.network)
        requests = await list_join_requests(session, network, states)
    if not requests:
        print("no applications waiting")
    for r in requests:
        print(
            f"#{r.id} {r.state:<8} {r.country} {r.sector:<16} {r.organisation}  "
            f"account={r.account or '-'}  contact={r.contact}"
        )
    return 0


async def join_approve(svc: Services, args: argparse.Namespace) -> int:
    member = await approve_join(
        svc, args.request_id, username=args.username, trust=Trust(args.trust), note=args.note
    )
    print(f"approved: member #{member.id}")
    return 0


async def join_reject(svc: Services, args: argparse.Namespace) -> int:
    await reject_join(svc, args.request_id, args.note)
    print(f"rejected join request #{args.request_id}")
    return 0


async def curate_list(svc: Services, args: argparse.Namespace) -> int:
    states = ("pending", "boosted", "rejected", "withdrawn") if args.all else ("pending",)
    async with svc.db.reader() as session:
        network = await network_actor(session, args.network)
        items = await booster.queue(session, network.id, states)
    if not items:
        print("nothing waiting for a curator")
    for item, author in items:
        print(
            f"#{item.id} {item.state:<9} {item.kind:<8} {item.language or '?':<5} "
            f"{author.username}@{author.domain} via {item.source} "
            f"at {item.received_at:%Y-%m-%d %H:%M}"
        )
        print(f"    {item.rule}")
        print(f"    {item.object_uri}")
        if item.excerpt:
            print(f"    “{item.excerpt}”")
    return 0


async def curate_decide(svc: Services, args: argparse.Namespace, *, approve: bool) -> int:
    item = await booster.decide(
        svc, args.item_id, approve=approve, curator=args.curator, note=args.note
    )
    print(f"item #{item.id} {item.state}")
    return 0


async def relay_subscribe(svc: Services, args: argparse.Namespace) -> int:
    sub = await relays.subscribe(svc, args.network, args.relay, RelayStyle(args.style))
    print(
        f"subscription to {sub.relay_uri} ({sub.style}) requested; waiting for the relay to accept"
    )
    return 0


async def relay_unsubscribe(svc: Services, args: argparse.Namespace) -> int:
    await relays.unsubscribe(svc, args.network, args.relay)
    print(f"left {args.relay}")
    return 0


async def relay_status(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        network = await network_actor(session, args.network)
        rows = await relays.subscriptions(session, network.id)
    if not rows:
        print("not subscribed to any relay")
    for row in rows:
        print(f"{row.state:<9} {row.style:<9} {row.relay_uri}")
    return 0


async def relay_enable(svc: Services) -> int:
    actor = await relays.enable_relay(svc)
    print(
        f"relay enabled: subscribe with {actor.inbox_uri} (Mastodon) "
        f"or follow {actor.uri} (LitePub)"
    )
    return 0


async def relay_subscribers(svc: Services) -> int:
    async with svc.db.reader() as session:
        rows = await relays.list_subscribers(session)
    if not rows:
        print("no subscribers")
    for row, actor in rows:
        print(f"{row.state:<9} {row.style:<9} {actor.domain}  {actor.uri}")
    return 0


async def relay_decide(svc: Services, args: argparse.Namespace, *, approve: bool) -> int:
    row = await relays.decide_subscription(svc, args.subscriber, approve=approve)
    print(f"subscription {row.state}")
    return 0


async def boost_command(svc: Services, args: argparse.Namespace) -> int:
    item = await solidarity_boost(svc, args.network, args.url, note=args.note, curator=None)
    print(f"{args.network} boosted {item.object_uri} in solidarity")
    return 0


async def unboost_command(svc: Services, args: argparse.Namespace) -> int:
    await take_back(svc, args.network, args.url)
    print(f"{args.network} took back its boost of {args.url}")
    return 0
