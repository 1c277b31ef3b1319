"""The `hambastegi` command: migrate, serve, worker, actor, user, demo (and more as they land).

Every failure prints `error: <what and why>` on stderr and exits non-zero: 2 for bad usage or
settings, 1 for a request that could not be carried out.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from accounts.models import User
from accounts.users import AccountError, create_user, enable_totp, list_users, set_password
from actors.directory import ActorError, NewActor, create_local_actor, get_local, list_local
from actors.domains import DomainBlocked
from actors.keystore import SealedKeyError
from actors.models import ActorKind
from actors.resolver import ResolveError
from cli import gatherings, graph, publishing
from cli import mailing as mailing_cli
from cli import network as network_cli
from cli.errors import CommandError
from content.i18n import INTERFACE_LANGUAGES
from content.images import ImageRejected
from content.mediastore import MediaStore
from core.config import Settings, SettingsError
from core.sealing import SealError
from core.uris import authority
from federation.errors import FederationError
from federation.keys import InvalidKey
from hambastegi.instance import StartupError, prepare_instance
from hambastegi.schema import SchemaOutOfDate, stored_revision
from hambastegi.wiring import instance_services
from hambastegi.workers import run_workers
from mail.subscriptions import SubscriptionError
from network.booster import CurationError
from network.members import MembershipError
from network.relays import RelayError
from outbox.compose import PostError
from outbox.follows import FollowError
from outbox.moves import move_actor, set_aliases
from outbox.profile import ProfileText, set_profile
from outbox.reports import send_report
from runtime.services import Services
from storage.database import Database, DatabaseUnavailable

if TYPE_CHECKING:
    import uvicorn

USAGE_ERRORS = (SettingsError,)
REQUEST_ERRORS = (
    ActorError,
    AccountError,
    StartupError,
    SchemaOutOfDate,
    FollowError,
    ResolveError,
    CommandError,
    DomainBlocked,
    FederationError,
    DatabaseUnavailable,
    MembershipError,
    CurationError,
    RelayError,
    SubscriptionError,
    PostError,
    ImageRejected,
    SealError,
    SealedKeyError,
    InvalidKey,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hambastegi", description="ActivityPub publishing for labour solidarity networks."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("migrate", help="create or upgrade the database schema")

    serve = commands.add_parser("serve", help="serve the web site and federation (with workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--web-only", action="store_true", help="do not run background workers here")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="web processes sharing the port (state is shared through the database)",
    )

    commands.add_parser("worker", help="run the background workers alone (to scale out)")

    actor = commands.add_parser("actor", help="organisations and network actors")
    actor_commands = actor.add_subparsers(dest="actor_command", required=True, metavar="ACTION")
    create = actor_commands.add_parser("create", help="create an actor")
    create.add_argument("name", help="username: 1-30 lower-case letters, digits or _")
    create.add_argument("--type", choices=["organization", "network"], default="organization")
    create.add_argument("--display-name", default="")
    create.add_argument("--summary", default="")
    create.add_argument("--language", default="")
    create.add_argument("--locked", action="store_true", help="approve followers by hand")
    create.add_argument("--hide-collections", action="store_true", help="hide follower lists")
    create.add_argument(
        "--no-safety-profile",
        action="store_true",
        help="publish the follower lists and allow unsigned fetches (the profile is on by default)",
    )
    create.add_argument(
        "--edition-of",
        metavar="ORG",
        help="a language edition of ORG: boosts ORG's posts in --language",
    )
    actor_commands.add_parser("list", help="list this instance's actors")
    safety = actor_commands.add_parser(
        "safety", help="turn an organisation's safety profile on or off"
    )
    safety.add_argument("name")
    safety.add_argument("state", choices=["on", "off"])
    move = actor_commands.add_parser(
        "move",
        help="move an organisation to another account (which must list it in alsoKnownAs): "
        "its followers' servers follow the new one",
    )
    move.add_argument("name")
    move.add_argument("new_actor", help="the new account: user@server or its URL")
    alias = actor_commands.add_parser(
        "alias", help="set the accounts this actor was before (alsoKnownAs), to accept a move"
    )
    alias.add_argument("name")
    alias.add_argument("accounts", nargs="*", help="user@server or URLs; none: clear")
    profile = actor_commands.add_parser(
        "profile",
        help="set an actor's name and description, or their translation into one language "
        "(followers' servers get an Update)",
    )
    profile.add_argument("name")
    profile.add_argument(
        "--display-name", required=True, help="the name ('' with --language: remove)"
    )
    profile.add_argument("--summary", default="", help="the description, plain text")
    profile.add_argument(
        "--language",
        help="a translation into this language (fa, ar, ckb, kmr, tr, en, fr…); "
        "without it, the actor's own name and description",
    )

    user = commands.add_parser("user", help="editors' accounts for the desk")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    ucreate = user_commands.add_parser("create", help="create an account")
    ucreate.add_argument("username")
    ucreate.add_argument("--admin", action="store_true")
    ucreate.add_argument("--editor-of", action="append", default=[], metavar="ORG")
    ucreate.add_argument("--curator-of", action="append", default=[], metavar="NETWORK")
    ucreate.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    user_commands.add_parser("list", help="list accounts")
    passwd = user_commands.add_parser(
        "passwd", help="set a new password for an account (its sessions end)"
    )
    passwd.add_argument("username")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    totp = user_commands.add_parser(
        "totp", help="require a code from an authenticator app at login"
    )
    totp.add_argument("username")

    follow_cmd = commands.add_parser("follow", help="make one of our actors follow someone")
    follow_cmd.add_argument("actor", help="our actor's username")
    follow_cmd.add_argument("target", help="user@host handle or actor URL")
    unfollow_cmd = commands.add_parser("unfollow", help="stop following someone")
    unfollow_cmd.add_argument("actor")
    unfollow_cmd.add_argument("target")

    followers = commands.add_parser("followers", help="list, approve, reject or remove followers")
    follower_commands = followers.add_subparsers(
        dest="followers_command", required=True, metavar="ACTION"
    )
    flist = follower_commands.add_parser("list", help="followers and pending requests")
    flist.add_argument("actor")
    flist.add_argument("--pending", action="store_true", help="only requests awaiting approval")
    for name, text in (
        ("approve", "accept a follow request"),
        ("reject", "refuse a follow request"),
        ("remove", "remove a follower"),
    ):
        sub = follower_commands.add_parser(name, help=text)
        sub.add_argument("actor")
        sub.add_argument("follower", help="their user@host handle or actor URL")
    following = commands.add_parser("following", help="who one of our actors follows")
    following.add_argument("actor")

    domain = commands.add_parser("domain", help="moderation: block servers, or allow them")
    domain_commands = domain.add_subparsers(dest="domain_command", required=True, metavar="ACTION")
    for name, text in (
        ("block", "refuse everything from a server and its subdomains"),
        ("unblock", "lift a block"),
        ("allow", "allow a server (allowlist mode)"),
        ("disallow", "remove a server from the allowlist"),
    ):
        sub = domain_commands.add_parser(name, help=text)
        sub.add_argument("domain")
        if name in ("block", "allow"):
            sub.add_argument("--note", default="")
    domain_commands.add_parser("list", help="blocked and allowed servers")

    report = commands.add_parser(
        "report",
        help="report an account elsewhere (and some of its posts) to its server's moderators "
        "(a Flag from this server, never naming you)",
    )
    report.add_argument("account", help="user@server, or the account's URL")
    report.add_argument("--post", action="append", default=[], help="a post's URL (repeatable)")
    report.add_argument("--comment", required=True, help="what is wrong, for their moderators")
    received = commands.add_parser("reports", help="reports received from other servers")
    rsub = received.add_subparsers(dest="reports_command", required=True, metavar="ACTION")
    rlist = rsub.add_parser("list", help="open reports (what they name, here and elsewhere)")
    rlist.add_argument("--all", action="store_true", help="resolved ones too")
    rforward = rsub.add_parser(
        "forward", help="pass a report on to the other servers it names (from this server)"
    )
    rforward.add_argument("report_id", type=int)
    rforward.add_argument("--note", default="", help="your note for their moderators")
    rresolve = rsub.add_parser("resolve", help="mark a report resolved")
    rresolve.add_argument("report_id", type=int)
    rresolve.add_argument("--note", default="", help="what was done (kept here)")
    mirror = commands.add_parser(
        "mirror", help="a copy of the public site as plain files (for blocked readers)"
    )
    mirror_commands = mirror.add_subparsers(dest="mirror_command", required=True, metavar="ACTION")
    mirror_export = mirror_commands.add_parser(
        "export", help="write the public site into DIR; again later, only what changed"
    )
    mirror_export.add_argument("dir", type=Path)
    mirror_export.add_argument(
        "--languages",
        default=",".join(INTERFACE_LANGUAGES),
        help="interface languages to copy, comma separated (default: all)",
    )
    publishing.add_commands(commands)
    network_cli.add_commands(commands)
    gatherings.add_commands(commands)
    mailing_cli.add_commands(commands)

    demo_command = commands.add_parser(
        "demo", help="seed a demo network: a network actor and two member unions"
    )
    demo_command.add_argument(
        "--size",
        choices=["small", "large"],
        default="small",
        help="large: 24 members, 5,000+ posts, 500 remote posts, thousands of followers",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        logging.basicConfig(
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )
        logging.getLogger("alembic").setLevel(logging.WARNING)
        return _dispatch(args, settings)
    except USAGE_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except REQUEST_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback: say what failed; the log has the detail
        logging.getLogger("hambastegi.cli").debug("command failed", exc_info=True)
        print(f"error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        if not 1 <= args.workers <= 64:
            print("error: --workers must be between 1 and 64", file=sys.stderr)
            return 2
        return _serve(
            replace(settings, run_workers=not args.web_only),
            args.host,
            args.port,
            processes=args.workers,
        )
    if args.command == "worker":
        return _run(settings, _worker_forever)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "mirror":
        if args.dir.exists() and not args.dir.is_dir():
            raise CommandError(f"{args.dir} exists and is not a directory")
        return asyncio.run(_mirror_export(settings, args))
    handlers: dict[tuple[str, str | None], Callable[[Services], Awaitable[int]]] = {
        ("actor", "create"): lambda svc: _actor_create(svc, args),
        ("actor", "list"): _actor_list,
        ("actor", "safety"): lambda svc: _actor_safety(svc, args.name, args.state == "on"),
        ("actor", "profile"): lambda svc: _actor_profile(svc, args),
        ("actor", "move"): lambda svc: _actor_move(svc, args),
        ("report", None): lambda svc: _report(svc, args),
        ("actor", "alias"): lambda svc: _actor_alias(svc, args),
        ("user", "create"): lambda svc: _user_create(svc, args),
        ("user", "list"): _user_list,
        ("user", "totp"): lambda svc: _user_totp(svc, args.username),
        ("user", "passwd"): lambda svc: _user_passwd(svc, args),
        ("demo", None): lambda svc: _demo(svc, getattr(args, "size", "small")),
        ("follow", None): lambda svc: graph.follow_command(svc, args.actor, args.target),
        ("unfollow", None): lambda svc: graph.unfollow_command(svc, args.actor, args.target),
        ("followers", "list"): lambda svc: graph.followers_list(svc, args.actor, args.pending),
        ("followers", "approve"): lambda svc: graph.followers_decide(
            svc, args.actor, args.follower, "approve"
        ),
        ("followers", "reject"): lambda svc: graph.followers_decide(
            svc, args.actor, args.follower, "reject"
        ),
        ("followers", "remove"): lambda svc: graph.followers_decide(
            svc, args.actor, args.follower, "remove"
        ),
        ("following", None): lambda svc: graph.following_list(svc, args.actor),
        ("domain", "block"): lambda svc: graph.domain_set(svc, args.domain, "block", args.note),
        ("domain", "allow"): lambda svc: graph.domain_set(svc, args.domain, "allow", args.note),
        ("domain", "unblock"): lambda svc: graph.domain_remove(svc, args.domain, "block"),
        ("domain", "disallow"): lambda svc: graph.domain_remove(svc, args.domain, "allow"),
        ("domain", "list"): graph.domain_list,
        ("post", None): lambda svc: publishing.post_command(svc, args),
        ("edit", None): lambda svc: publishing.edit_command(svc, args),
        ("delete", None): lambda svc: publishing.delete_command(svc, args),
        ("pin", None): lambda svc: publishing.pin_command(svc, args, pinned=True),
        ("unpin", None): lambda svc: publishing.pin_command(svc, args, pinned=False),
        ("deliveries", None): lambda svc: publishing.deliveries_command(svc, args),
        ("posts", None): lambda svc: publishing.posts_command(svc, args),
        **network_cli.handlers(args),
        **gatherings.handlers(args),
        ("reports", "list"): lambda svc: graph.reports_list(svc, args.all),
        ("reports", "forward"): lambda svc: graph.reports_forward(svc, args.report_id, args.note),
        ("reports", "resolve"): lambda svc: graph.reports_resolve(svc, args.report_id, args.note),
        **mailing_cli.handlers(args),
    }
    sub = getattr(args, f"{args.command}_command", None)
    return _run(settings, handlers[(args.command, sub)])


def _run(settings: Settings, action: Callable[[Services], Awaitable[int]]) -> int:
    async def go() -> int:
        async with instance_services(settings) as svc:
            await prepare_instance(svc)
            return await action(svc)

    return asyncio.run(go())


async def _mirror_export(settings: Settings, args: argparse.Namespace) -> int:
    from hambastegi.app import create_app  # noqa: PLC0415 - only the commands that serve
    from hambastegi.mirror import export  # noqa: PLC0415 - only this command crawls the site

    languages = [code.strip() for code in str(args.languages).split(",") if code.strip()]
    unknown = [code for code in languages if code not in INTERFACE_LANGUAGES]
    if unknown or not languages:
        raise CommandError(
            f"--languages: choose among {', '.join(INTERFACE_LANGUAGES)} (got {args.languages})"
        )
    target = Path(args.dir)
    quiet = replace(  # every core lays out PDFs: the export is a batch job
        settings,
        run_workers=False,
        page_cache_seconds=0,
        pdf_processes=max(settings.pdf_processes, os.cpu_count() or 1),
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per page
    try:
        done = await export(create_app(quiet), quiet, target, languages)
    except OSError as exc:
        raise CommandError(f"cannot write the mirror: {exc}") from exc
    print(
        f"mirror in {target}: {len(done.files)} files, {done.written} written, "
        f"{done.unchanged} unchanged, {done.removed} removed (manifest.json has their SHA-256)"
    )
    return 0


async def _migrate(settings: Settings) -> int:
    db = Database(
        settings.database_url,
        schema=settings.database_schema,
        synchronous=settings.sqlite_synchronous,
    )
    try:
        from hambastegi.migrate import upgrade  # noqa: PLC0415 - Alembic only for this command

        before = await stored_revision(db)
        await upgrade(db)
        after = await stored_revision(db)
    except OSError as exc:
        raise CommandError(f"cannot reach the database: {exc}") from exc
    finally:
        await db.dispose()
    if before is None:
        print(f"created the database schema (revision {after})")
    elif before != after:
        print(f"upgraded the database schema from revision {before} to {after}")
    else:
        print(f"the database schema is up to date (revision {after})")
    return 0


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves us, wherever it is started (the CLI, the tests' real servers)."""
    return {
        "access_log": False,  # no IP addresses in our logs: editors' safety
        "server_header": False,
        "log_level": settings.log_level,
        "timeout_keep_alive": 5,
        # X-Forwarded-For is believed only from the configured proxies (never by default:
        # uvicorn would trust loopback, and anyone could then pick their own address).
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
    }


def uvicorn_config(settings: Settings, host: str, port: int) -> uvicorn.Config:
    # The web app and uvicorn are loaded by the commands that serve, not by every command.
    import uvicorn  # noqa: PLC0415

    from hambastegi.app import create_app  # noqa: PLC0415

    return uvicorn.Config(create_app(settings), host=host, port=port, **uvicorn_options(settings))


def _serve(settings: Settings, host: str, port: int, *, processes: int = 1) -> int:
    import uvicorn  # noqa: PLC0415 - only the commands that serve load it

    if processes > 1:
        # Each process builds its own app from the environment (uvicorn starts them afresh);
        # what they share (sessions, queues, domain rules, health) is in the database.
        os.environ["HAMBASTEGI_RUN_WORKERS"] = "true" if settings.run_workers else "false"
        uvicorn.run(
            "hambastegi.app:create_app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=processes,
            **uvicorn_options(settings),
        )
        return 0
    server = uvicorn.Server(uvicorn_config(settings, host, port))
    server.run()
    return 0 if server.started else 1


async def _demo(svc: Services, size: str) -> int:
    # The demo's builders (and what they import) only for this command.
    if size == "large":
        from cli.demo_large import seed_large_and_report  # noqa: PLC0415

        return await seed_large_and_report(svc)
    from cli.demo import seed_and_report  # noqa: PLC0415

    return await seed_and_report(svc)


async def _worker_forever(svc: Services) -> int:
    async with run_workers(svc, enabled=True):
        print("workers running; Ctrl-C to stop", file=sys.stderr)
        await asyncio.Event().wait()
    return 0


async def _actor_create(svc: Services, args: argparse.Namespace) -> int:
    new = NewActor(
        username=args.name,
        kind=ActorKind(args.type),
        display_name=args.display_name,
        summary=args.summary,
        language=args.language,
        manually_approves_followers=args.locked,
        hide_collections=args.hide_collections,
        edition_of=args.edition_of,
        safety_profile=not args.no_safety_profile,
    )
    async with svc.db.transaction() as session:
        actor = await create_local_actor(
            session,
            svc.uris,
            svc.clock,
            svc.settings.secret_key,
            MediaStore(svc.settings.media_dir),
            new,
        )
        print(f"created {actor.as_type} {actor.handle}  {actor.uri}")
    return 0


async def _actor_list(svc: Services) -> int:
    async with svc.db.reader() as session:
        actors = await list_local(session)
    if not actors:
        print("no actors yet: `hambastegi actor create NAME` makes one")
    for actor in actors:
        safety = "safety profile" if actor.safety_profile else ""
        name = f"{actor.username:<30} {actor.as_type:<13} {safety:<15}"
        print(f"{name} {actor.display_name}  {actor.uri}")
    return 0


async def _actor_safety(svc: Services, name: str, on: bool) -> int:
    async with svc.db.transaction() as session:
        actor = await get_local(session, name)
        actor.safety_profile = on
    print(f"safety profile of {actor.handle}: {'on' if on else 'off'}")
    return 0


async def _report(svc: Services, args: argparse.Namespace) -> int:
    sent = await send_report(svc, args.account, args.comment, args.post)
    names = sent.document["object"]
    print(f"report sent to the moderators of {authority(names[0])} about {', '.join(names)}")
    return 0


async def _actor_move(svc: Services, args: argparse.Namespace) -> int:
    actor = await move_actor(svc, args.name, args.new_actor)
    print(f"{actor.handle} moved to {actor.moved_to_uri}; a Move goes to its followers' servers")
    return 0


async def _actor_alias(svc: Services, args: argparse.Namespace) -> int:
    actor = await set_aliases(svc, args.name, args.accounts)
    print(f"{actor.handle} is also known as: {', '.join(actor.also_known_as) or '(nobody)'}")
    return 0


async def _actor_profile(svc: Services, args: argparse.Namespace) -> int:
    text = ProfileText(args.display_name, args.summary, args.language)
    actor = await set_profile(svc, args.name, [text])
    which = f"in {args.language}" if args.language else "(its own language)"
    print(f"profile of {actor.handle} {which} set; followers' servers get an Update")
    return 0


async def _user_create(svc: Services, args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    async with svc.db.transaction() as session:
        user = await create_user(
            session,
            svc.clock,
            username=args.username,
            password=password,
            is_admin=args.admin,
            editor_of=args.editor_of,
            curator_of=args.curator_of,
        )
        print(f"created user {user.username}{' (admin)' if user.is_admin else ''}")
    return 0


async def _user_passwd(svc: Services, args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    async with svc.db.transaction() as session:
        user = await set_password(session, args.username, password)
    print(f"new password set for {user.username}; their sessions were ended")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise CommandError("the passwords do not match")
    return first


async def _user_totp(svc: Services, username: str) -> int:
    async with svc.db.transaction() as session:
        user = await session.scalar(select(User).where(User.username == username))
        if user is None:
            raise CommandError(f"no user named {username!r}")
        uri = enable_totp(user, svc.settings.secret_key, svc.settings.instance_name)
    print("scan this in an authenticator app (shown once); logins now need its code:")
    print(uri)
    return 0


async def _user_list(svc: Services) -> int:
    async with svc.db.reader() as session:
        for user in await list_users(session):
            print(f"{user.username}{'  admin' if user.is_admin else ''}")
    return 0
