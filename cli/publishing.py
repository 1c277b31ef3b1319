"""CLI commands for publishing: post, edit, delete, pin, unpin, deliveries, posts."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from sqlalchemy import select

from actors.directory import get_local
from cli.errors import CommandError
from outbox.compose import Draft, ImageUpload, PostError
from outbox.kinds import PostKind
from outbox.models import Post, Visibility
from outbox.posts import create_post, delete_post, edit_post, set_pinned
from outbox.queries import find_post
from outbox.status import delivery_status
from runtime.services import Services

COMMON_FIELDS = {"title", "summary", "language", "visibility", "sensitive", "tags", "publish_at"}


def add_commands(commands: Any) -> None:
    post = commands.add_parser(
        "post", help="publish a note, strike report, article, event or campaign"
    )
    post.add_argument("actor", help="the organisation publishing it")
    post.add_argument("--kind", choices=[k.value for k in PostKind], default="note")
    _post_options(post)
    post.add_argument("--translation-of", metavar="POST", help="this post translates POST")
    post.add_argument(
        "--reply-to", metavar="POST_OR_URI", help="a reply (campaign updates reply to the campaign)"
    )

    edit = commands.add_parser(
        "edit", help="replace a post's text and fields (followers get Update)"
    )
    edit.add_argument("post", help="post id or URI")
    _post_options(edit)

    for name, text in (
        ("delete", "delete a post everywhere it went"),
        ("pin", "feature a post on its profile"),
        ("unpin", "stop featuring a post"),
        ("deliveries", "delivery status of a post, per server"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("post", help="post id or URI")

    posts = commands.add_parser("posts", help="list an organisation's posts")
    posts.add_argument("actor")


def _post_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file", required=True, type=Path, help="Markdown, fields in YAML front matter"
    )
    parser.add_argument("--language", help="BCP 47 tag (fa, ar, ckb, kmr, tr, en, fr, …)")
    parser.add_argument("--publish-at", help="publish later: ISO date and time with offset")
    parser.add_argument("--visibility", choices=[v.value for v in Visibility])
    parser.add_argument("--image", action="append", default=[], type=Path, metavar="PATH")
    parser.add_argument(
        "--alt", action="append", default=[], metavar="TEXT", help="alt text, one per --image"
    )


def read_post_file(path: Path) -> tuple[dict[str, Any], str]:
    try:
        document = frontmatter.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path} is not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        raise CommandError(f"{path}: the front matter is not valid YAML: {exc}") from exc
    return dict(document.metadata), document.content


def build_draft(kind: PostKind, args: argparse.Namespace, default_language: str) -> Draft:
    meta, body = read_post_file(args.file)
    if len(args.image) != len(args.alt):
        raise CommandError("give one --alt TEXT for every --image PATH")
    images = []
    for path, alt in zip(args.image, args.alt, strict=True):
        try:
            images.append(ImageUpload(data=path.read_bytes(), alt=alt))
        except OSError as exc:
            raise CommandError(f"cannot read image {path}: {exc.strerror}") from exc
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split()
    visibility = args.visibility or meta.get("visibility") or Visibility.public
    if visibility not in {v.value for v in Visibility}:
        raise CommandError(f"visibility must be public, unlisted or followers, got {visibility!r}")
    return Draft(
        kind=kind,
        body=body,
        language=str(args.language or meta.get("language") or default_language),
        title=str(meta.get("title") or ""),
        summary=str(meta.get("summary") or ""),
        sensitive=bool(meta.get("sensitive", False)),
        visibility=Visibility(visibility),
        details={k: v for k, v in meta.items() if k not in COMMON_FIELDS},
        tags=tuple(str(t) for t in tags),
        in_reply_to=getattr(args, "reply_to", None),
        translation_of=getattr(args, "translation_of", None),
        publish_at=_when(args.publish_at or meta.get("publish_at")),
        images=tuple(images),
    )


def _when(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = (
            value
            if isinstance(value, datetime)
            else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        )
    except ValueError as exc:
        raise CommandError(f"publish-at must be an ISO date and time, got {value!r}") from exc
    if moment.tzinfo is None:
        raise CommandError("publish-at needs a time zone offset, e.g. 2026-06-01T09:00+03:30")
    return moment


def _describe(post: Post) -> str:
    when = post.publish_at if post.state == "scheduled" else post.published_at
    stamp = when.strftime("%Y-%m-%d %H:%M UTC") if when else ""
    columns = f"{post.public_id}  {post.kind:<8} {post.state:<9} {post.language:<5}"
    return f"{columns} {stamp}  {post.title or ''}"


async def post_command(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        actor = await get_local(session, args.actor)
    draft = build_draft(PostKind(args.kind), args, actor.language or svc.settings.default_language)
    try:
        post = await create_post(svc, actor, draft)
    except PostError as exc:
        raise CommandError(str(exc)) from exc
    print(("scheduled " if post.state == "scheduled" else "published ") + _describe(post))
    print(f"  {post.uri}")
    return 0


async def edit_command(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        post = await find_post(session, svc.uris, args.post)
    if post is None:
        raise CommandError(f"no post {args.post!r}")
    args.reply_to = post.in_reply_to_uri
    draft = build_draft(PostKind(post.kind), args, post.language)
    try:
        post = await edit_post(svc, args.post, draft)
    except PostError as exc:
        raise CommandError(str(exc)) from exc
    print("edited " + _describe(post))
    return 0


async def delete_command(svc: Services, args: argparse.Namespace) -> int:
    try:
        post = await delete_post(svc, args.post)
    except PostError as exc:
        raise CommandError(str(exc)) from exc
    print(f"deleted {post.public_id}; its URL now answers 410 Gone")
    return 0


async def pin_command(svc: Services, args: argparse.Namespace, *, pinned: bool) -> int:
    try:
        post = await set_pinned(svc, args.post, pinned=pinned)
    except PostError as exc:
        raise CommandError(str(exc)) from exc
    print(("pinned " if pinned else "unpinned ") + post.public_id)
    return 0


async def deliveries_command(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        post = await find_post(session, svc.uris, args.post)
        if post is None:
            raise CommandError(f"no post {args.post!r}")
        hosts = await delivery_status(session, post)
    if not hosts:
        print("no deliveries: nobody elsewhere follows or was mentioned (yet)")
    for host in hosts:
        detail = f"  ({host.last_error})" if host.last_error and host.state != "delivered" else ""
        print(
            f"{host.state:<9} {host.domain:<40} delivered={host.delivered} pending={host.pending} "
            f"failed={host.failed} skipped={host.skipped}{detail}"
        )
    return 0


async def posts_command(svc: Services, args: argparse.Namespace) -> int:
    async with svc.db.reader() as session:
        actor = await get_local(session, args.actor)
        posts = list(
            await session.scalars(
                select(Post).where(Post.actor_id == actor.id).order_by(Post.id.desc())
            )
        )
    if not posts:
        print("no posts yet")
    for post in posts:
        print(_describe(post))
    return 0
