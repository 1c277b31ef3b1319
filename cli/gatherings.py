"""CLI commands for the network's gatherings and statements: attending events elsewhere
(`attend`, `unattend`, `attending`), the participants of our events (`participants`), and
co-signed statements (`statement`). (Their errors are in `cli.main`'s one table.)"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import select

from actors.directory import get_local
from actors.models import Actor
from cli.errors import CommandError
from inbox.models import Invitation
from network.attending import attend, attendances, leave
from network.cosign import all_network_members, sign_invitation, withdraw_invitation
from outbox import participation
from outbox.models import Post, Statement
from outbox.queries import find_post
from outbox.statements import open_statement, sign_here, signatories, withdraw_here
from runtime.services import Services


def add_commands(commands: Any) -> None:
    go = commands.add_parser(
        "attend", help="say one of our organisations will attend an event elsewhere (a Join)"
    )
    go.add_argument("actor", help="our organisation")
    go.add_argument("url", help="the event's address (Mobilizon, Gancio, another Hambastegi)")
    stay = commands.add_parser("unattend", help="we will not come after all (a Leave)")
    stay.add_argument("actor")
    stay.add_argument("url")
    going = commands.add_parser("attending", help="events elsewhere our organisation attends")
    going.add_argument("actor")

    people = commands.add_parser("participants", help="who takes part in one of our events")
    psub = people.add_subparsers(dest="participants_command", required=True, metavar="ACTION")
    plist = psub.add_parser("list", help="participants, pending and waiting, in order")
    plist.add_argument("post", help="the event's post id or URI")
    for name, text in (
        ("approve", "accept a pending participant (or the waiting list if full)"),
        ("reject", "decline a pending participant (a Reject goes back)"),
    ):
        decide = psub.add_parser(name, help=text)
        decide.add_argument("participant_id", type=int)

    statement = commands.add_parser("statement", help="co-signed statements")
    ssub = statement.add_subparsers(dest="statement_command", required=True, metavar="ACTION")
    sopen = ssub.add_parser("open", help="open a post for co-signing; the members are invited")
    sopen.add_argument("post", help="post id or URI")
    ssub.add_parser("list", help="statements open for co-signing, with their signatories")
    for name, text in (("sign", "co-sign as one of our organisations"), ("withdraw", "unsign")):
        act = ssub.add_parser(name, help=text)
        act.add_argument("post", help="post id or URI")
        act.add_argument("actor", help="our organisation")
    invitations = ssub.add_parser("invitations", help="invitations to co-sign from elsewhere")
    invitations.add_argument("actor")
    for name, text in (
        ("sign-invitation", "co-sign a statement elsewhere (an Accept of its Invite)"),
        ("withdraw-invitation", "withdraw that signature (an Undo)"),
    ):
        act = ssub.add_parser(name, help=text)
        act.add_argument("invitation_id", type=int)


def handlers(args: argparse.Namespace) -> dict[tuple[str, str | None], Any]:
    return {
        ("attend", None): lambda svc: attend_command(svc, args),
        ("unattend", None): lambda svc: unattend_command(svc, args),
        ("attending", None): lambda svc: attending_command(svc, args),
        ("participants", "list"): lambda svc: participants_list(svc, args),
        ("participants", "approve"): lambda svc: participants_decide(svc, args, approve=True),
        ("participants", "reject"): lambda svc: participants_decide(svc, args, approve=False),
        ("statement", "open"): lambda svc: statement_open(svc, args),
        ("statement", "list"): statement_list,
        ("statement", "sign"): lambda svc: statement_sign(svc, args, withdraw=False),
        ("statement", "withdraw"): lambda svc: statement_sign(svc, args, withdraw=True),
        ("statement", "invitations"): lambda svc: statement_invitations(svc, args),
        ("statement", "sign-invitation"): lambda svc: invitation_answer(svc, args, sign=True),
        ("statement", "withdraw-invitation"): lambda svc: invitation_answer(svc, args, sign=False),
    }


async def attend_command(svc: Services, args: argparse.Namespace) -> int:
    row = await attend(svc, args.actor, args.url)
    print(f"{args.actor} asked to attend {row.name or row.event_uri}; waiting for the organisers")
    return 0


async def unattend_command(svc: Services, args: argparse.Namespace) -> int:
    row = await leave(svc, args.actor, args.url)
    print(f"{args.actor} told the organisers of {row.name or row.event_uri} it will not come")
    return 0


async def attending_command(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        actor = await get_local(session, args.actor)
        rows = await attendances(session, [actor.id])
    for row, _who in rows:
        when = row.starts_at.strftime("%Y-%m-%d %H:%M UTC") if row.starts_at else "-"
        print(f"{row.state:<9} {when:<20} {row.name or '-'}  {row.event_uri}")
    if not rows:
        print(f"{args.actor} attends no event elsewhere")
    return 0


async def _post(svc: Services, ref: str) -> Post:
    async with svc.db.reader() as session:
        post = await find_post(session, svc.uris, ref)
    if post is None:
        raise CommandError(f"no post {ref!r} on this server")
    return post


async def participants_list(svc: Services, args: argparse.Namespace) -> int:
    post = await _post(svc, args.post)
    async with svc.db.reader() as session:
        counts = await participation.counts(session, post.id)
        rows = await participation.participants(session, post.id)
    print(", ".join(f"{state}: {n}" for state, n in counts.items()))
    for row, who in rows:
        print(f"#{row.id:<5} {row.state:<9} {who.handle}")
    return 0


async def participants_decide(svc: Services, args: argparse.Namespace, *, approve: bool) -> int:
    row = await participation.decide(svc, args.participant_id, approve=approve)
    outcome = row.state if approve else "rejected"
    print(f"participant #{args.participant_id}: {outcome}")
    return 0


async def statement_open(svc: Services, args: argparse.Namespace) -> int:
    post = await _post(svc, args.post)
    invitees = await all_network_members(svc)
    await open_statement(svc, post, invitees)
    elsewhere = sum(1 for a in invitees if not a.is_local and a.id != post.actor_id)
    print(f"{post.public_id} is open for co-signing; {elsewhere} members elsewhere invited")
    return 0


async def statement_list(svc: Services) -> int:
    async with svc.db.reader() as session:
        rows = await session.execute(
            select(Statement, Post).join(Post, Post.id == Statement.post_id).order_by(Statement.id)
        )
        found = False
        for _statement, post in rows:
            found = True
            names = [a.handle for a in await signatories(session, post.id)]
            print(f"{post.public_id}  {len(names)} signed  {post.title or post.uri}")
            for name in names:
                print(f"    {name}")
    if not found:
        print("no statement is open for co-signing")
    return 0


async def statement_sign(svc: Services, args: argparse.Namespace, *, withdraw: bool) -> int:
    post = await _post(svc, args.post)
    async with svc.db.reader() as session:
        signer = await get_local(session, args.actor)
    if withdraw:
        if not await withdraw_here(svc, post, signer):
            raise CommandError(f"{signer.handle} has not signed {post.public_id}")
        print(f"{signer.handle} withdrew its signature of {post.public_id}")
    else:
        await sign_here(svc, post, signer)
        print(f"{signer.handle} signed {post.public_id}")
    return 0


async def statement_invitations(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        actor = await get_local(session, args.actor)
        rows = list(
            await session.execute(
                select(Invitation, Actor)
                .join(Actor, Actor.id == Invitation.inviter_id)
                .where(Invitation.actor_id == actor.id)
                .order_by(Invitation.id)
            )
        )
    for invitation, inviter in rows:
        state = "signed" if invitation.accept_uri else "open"
        print(f"#{invitation.id:<5} {state:<7} {inviter.handle}  {invitation.statement_uri}")
    if not rows:
        print(f"no invitations for {actor.handle}")
    return 0


async def invitation_answer(svc: Services, args: argparse.Namespace, *, sign: bool) -> int:
    if sign:
        invitation = await sign_invitation(svc, args.invitation_id)
        print(f"signed {invitation.statement_uri} (an Accept went to its publisher)")
    else:
        invitation = await withdraw_invitation(svc, args.invitation_id)
        print(f"withdrew the signature of {invitation.statement_uri}")
    return 0
