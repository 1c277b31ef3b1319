"""CLI commands for bulletins by email: who is subscribed (admins only: whoever runs this
command administers the server), export on request, and deletion on request."""

from __future__ import annotations

import argparse
import json
from typing import Any

from actors.directory import get_local
from mail.subscriptions import counts_by_language, export, forget
from runtime.services import Services


def add_commands(commands: Any) -> None:
    subscribers = commands.add_parser(
        "subscribers", help="bulletins by email: counts, export and deletion of subscribers"
    )
    sub = subscribers.add_subparsers(dest="subscribers_command", required=True, metavar="ACTION")
    counts = sub.add_parser("counts", help="confirmed subscribers of an actor, per language")
    counts.add_argument("actor")
    dump = sub.add_parser("export", help="every subscriber (of one actor) as JSON, on request")
    dump.add_argument("actor", nargs="?")
    delete = sub.add_parser("delete", help="forget an email address on every list, on request")
    delete.add_argument("email")


def handlers(args: argparse.Namespace) -> dict[tuple[str, str | None], Any]:
    return {
        ("subscribers", "counts"): lambda svc: subscribers_counts(svc, args.actor),
        ("subscribers", "export"): lambda svc: subscribers_export(svc, args.actor),
        ("subscribers", "delete"): lambda svc: subscribers_delete(svc, args.email),
    }


async def subscribers_counts(svc: Services, name: str) -> int:
    async with svc.db.reader() as session:
        actor = await get_local(session, name)
        counts = await counts_by_language(session, actor.id)
    if not counts:
        print(f"{actor.handle} has no confirmed subscribers")
    for language, count in counts.items():
        print(f"{language:<6} {count}")
    return 0


async def subscribers_export(svc: Services, name: str | None) -> int:
    async with svc.db.reader() as session:
        actor_id = (await get_local(session, name)).id if name else None
        rows = await export(session, actor_id)
    print(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


async def subscribers_delete(svc: Services, email: str) -> int:
    async with svc.db.transaction() as session:
        removed = await forget(session, email)
    print(f"deleted {removed} subscription(s) of that address")
    return 0
