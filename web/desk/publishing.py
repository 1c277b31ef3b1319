"""Desk: the dashboard, posts, compose (with preview and translations side by side), edit,
delete, and delivery status per server with "retry now"."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.models import Actor, ActorKind
from outbox.compose import Draft, ImageUpload, PostError, compose
from outbox.kinds import PostKind
from outbox.models import Post, PostState, Visibility
from outbox.posts import create_post, delete_post, edit_post, may_see, same_organisation
from outbox.status import delivery_status, retry_now
from outbox.vocabulary import CAMPAIGN_STATUS, SECTOR_NAMES, SECTORS, STRIKE_STATUS
from runtime.services import services
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.pages import pages
from web.site import country_names_for

LIST_FIELDS = {"demands", "sources", "charges"}
KIND_FIELDS = {
    "strike": (
        "country",
        "region",
        "workplace",
        "employer",
        "sector",
        "workers",
        "start_date",
        "end_date",
        "status",
        "demands",
        "sources",
    ),
    "event": ("starts_at", "ends_at", "timezone", "location", "online_url"),
    "campaign": (
        "person",
        "country",
        "union",
        "arrested_on",
        "released_on",
        "charges",
        "sentence",
        "detention_place",
        "status",
        "actions",
        "contacts",
    ),
}


async def editable_actors(request: Request, identity: Identity) -> list[Actor]:
    async with services(request).db.reader() as session:
        actors = await session.scalars(
            select(Actor)
            .where(
                Actor.kind.in_([ActorKind.organization, ActorKind.network]),
                Actor.deleted_at.is_(None),
            )
            .order_by(Actor.username)
        )
        return [a for a in actors if identity.can_edit(a.id)]


async def dashboard(request: Request, identity: Identity) -> Response:
    svc = services(request)
    actors = await editable_actors(request, identity)
    async with svc.db.reader() as session:
        posts = (
            list(
                await session.scalars(
                    select(Post)
                    .where(Post.actor_id.in_([a.id for a in actors]))
                    .order_by(Post.created_at.desc())
                    .limit(50)
                )
            )
            if actors
            else []
        )
        networks = list(await session.scalars(select(Actor).where(Actor.kind == ActorKind.network)))
    return render(
        request,
        identity,
        "desk/dashboard.html",
        {
            "actors": actors,
            "posts": posts,
            "by_id": {a.id: a for a in actors},
            "curated": [n for n in networks if identity.can_curate(n.id)],
            "kinds": [k.value for k in PostKind],
        },
    )


def _parse_details(form: FormData, kind: str) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for name in KIND_FIELDS.get(kind, ()):
        value = field_text(form, f"d_{name}")
        if not value:
            continue
        if name in LIST_FIELDS:
            details[name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif name == "actions":
            actions = []
            for line in value.splitlines():
                label, _sep, url = line.rpartition("|")
                if line.strip():
                    actions.append({"label": label.strip() or url.strip(), "url": url.strip()})
            details[name] = actions
        elif name == "workers":
            details[name] = int(value) if value.isascii() and value.isdigit() else value
        else:
            details[name] = value
    return details


async def draft_from_form(
    form: FormData, kind: str, *, translation_of: str | None = None, in_reply_to: str | None = None
) -> Draft:
    images = []
    upload = form.get("image")
    if isinstance(upload, UploadFile) and upload.filename:
        images.append(ImageUpload(await upload.read(), field_text(form, "alt")))
    publish_at = None
    if field_text(form, "publish_at"):
        try:
            zone = ZoneInfo(field_text(form, "publish_tz") or "UTC")
            publish_at = datetime.fromisoformat(field_text(form, "publish_at")).replace(tzinfo=zone)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise PostError("publish at: give a date and time, and a time zone") from exc
    visibility = field_text(form, "visibility") or Visibility.public
    if visibility not in {v.value for v in Visibility}:
        raise PostError("choose public, unlisted or followers only")
    return Draft(
        kind=PostKind(kind),
        body=field_text(form, "body"),
        language=field_text(form, "language"),
        title=field_text(form, "title"),
        summary=field_text(form, "summary"),
        sensitive=field_text(form, "sensitive") == "on",
        visibility=Visibility(visibility),
        details=_parse_details(form, kind),
        tags=tuple(field_text(form, "tags").replace("#", " ").split()),
        translation_of=translation_of,
        in_reply_to=in_reply_to,
        publish_at=publish_at,
        images=tuple(images),
    )


def details_to_form(details: dict[str, Any]) -> dict[str, str]:
    """A post's structured fields as the compose form shows them (lists one per line)."""
    values = {}
    for name, value in details.items():
        if name == "actions":
            values[f"d_{name}"] = "\n".join(f"{a['label']} | {a['url']}" for a in value)
        elif isinstance(value, list):
            values[f"d_{name}"] = "\n".join(value)
        else:
            values[f"d_{name}"] = "" if value is None else str(value)
    return values


def _form_context(kind: str, values: dict[str, str], request: Request) -> dict[str, Any]:
    return {
        "kind": kind,
        "values": values,
        "kind_fields": KIND_FIELDS.get(kind, ()),
        "sectors": SECTORS,
        "sector_names": SECTOR_NAMES,
        "strike_statuses": STRIKE_STATUS,
        "campaign_statuses": CAMPAIGN_STATUS,
        "country_names": country_names_for(request),
        "visibilities": [v.value for v in Visibility],
        "zones": (
            "UTC",
            "Asia/Tehran",
            "Asia/Baghdad",
            "Asia/Beirut",
            "Asia/Damascus",
            "Europe/Istanbul",
            "Africa/Cairo",
            "Africa/Tunis",
            "Africa/Algiers",
            "Africa/Casablanca",
            "Asia/Amman",
            "Asia/Riyadh",
            "Asia/Dubai",
            "Asia/Jerusalem",
            "Africa/Khartoum",
            "Europe/Stockholm",
            "Europe/Berlin",
            "Europe/Paris",
            "Europe/London",
        ),
    }


async def compose_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    actors = await editable_actors(request, identity)
    params = request.query_params if request.method == "GET" else form_of(request)
    kind = str(params.get("kind") or "note")
    if kind not in {k.value for k in PostKind}:
        kind = "note"
    translation_of = str(params.get("translation_of") or "") or None
    reply_to = str(params.get("reply_to") or "") or None
    original = None
    if translation_of or reply_to:
        async with svc.db.reader() as session:
            original = await session.scalar(
                select(Post).where(Post.public_id == (translation_of or reply_to))
            )
    wanted = str(params.get("actor") or "")
    if not wanted and original is not None and translation_of:
        # A translation is written as the organisation that published the original.
        wanted = next((a.username for a in actors if a.id == original.actor_id), "")
    actor = (
        next((a for a in actors if a.username == wanted), None)
        if wanted
        else (actors[0] if actors else None)
    )
    if actor is None:
        raise Forbidden(
            f"You are not an editor of {wanted}."
            if wanted and actors
            else "You are not an editor of any organisation yet. Ask an admin."
        )
    if translation_of or reply_to:
        async with svc.db.reader() as session:
            # Ids come from the address bar or the form: show (and use) only what this
            # organisation's editors may see; a translation only of its own posts.
            allowed = original is not None and (
                await same_organisation(session, actor.id, original.actor_id)
                if translation_of
                else await may_see(session, actor, original)
            )
        if not allowed:
            raise Forbidden("That post does not exist, or your organisation cannot use it here.")
    values = {k: str(v) for k, v in params.items() if isinstance(v, str)}
    if not translation_of:  # a translation is in another language: the editor says which
        values.setdefault("language", actor.language or svc.settings.default_language)
    context = {
        "actors": actors,
        "actor": actor,
        "original": original,
        "translation_of": translation_of,
        "reply_to": reply_to,
        "preview": None,
        "errors": [],
        "unresolved": [],
    }
    if request.method == "POST":
        form = form_of(request)
        try:
            draft = await draft_from_form(
                form, kind, translation_of=translation_of, in_reply_to=reply_to
            )
            if field_text(form, "action") == "preview":
                composed = await compose(svc, draft)
                context["preview"] = composed
                context["unresolved"] = composed.unresolved_mentions
            else:
                post = await create_post(svc, actor, draft)
                return done(f"/desk/posts/{post.public_id}")
        except PostError as exc:
            context["errors"] = [str(exc)]
    return render(
        request,
        identity,
        "desk/compose.html",
        {**context, **_form_context(kind, values, request)},
        status_code=400 if context["errors"] else 200,
    )


async def _own_post(request: Request, identity: Identity) -> Post:
    async with services(request).db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.public_id == request.path_params["post_id"])
        )
    if post is None or not identity.can_edit(post.actor_id):
        raise Forbidden("That post does not exist, or you are not an editor of its organisation.")
    return post


async def post_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    post = await _own_post(request, identity)
    async with svc.db.reader() as session:
        hosts = await delivery_status(session, post)
        actor = await session.get(Actor, post.actor_id)
    _ = pages(request).gettext(request)
    notice = (
        _("Deleted: a Delete is on its way to every server that had this post.")
        if request.query_params.get("deleted") == "1"
        else ""
    )
    return render(
        request,
        identity,
        "desk/post.html",
        {"post": post, "actor": actor, "hosts": hosts, "notice": notice},
    )


async def edit_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    post = await _own_post(request, identity)
    if post.state == PostState.deleted:
        raise Forbidden("A deleted post cannot be edited.")
    values = {
        "title": post.title,
        "body": post.source,
        "language": post.language,
        "summary": post.summary,
        "visibility": post.visibility,
        "tags": " ".join(post.hashtags),
    }
    values.update(details_to_form(post.details))
    errors: list[str] = []
    if request.method == "POST":
        form = form_of(request)
        values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        try:
            await edit_post(
                svc,
                post.public_id,
                await draft_from_form(form, post.kind, in_reply_to=post.in_reply_to_uri),
            )
            return done(f"/desk/posts/{post.public_id}")
        except PostError as exc:
            errors = [str(exc)]
    return render(
        request,
        identity,
        "desk/edit.html",
        {"post": post, "errors": errors, **_form_context(post.kind, values, request)},
        status_code=400 if errors else 200,
    )


async def delete_view(request: Request, identity: Identity) -> Response:
    """Ask first (GET, or a POST without `confirm=yes`): say what deleting does; then delete."""
    post = await _own_post(request, identity)
    if request.method != "POST" or field_text(form_of(request), "confirm") != "yes":
        async with services(request).db.reader() as session:
            actor = await session.get(Actor, post.actor_id)
        return render(request, identity, "desk/confirm_delete.html", {"post": post, "actor": actor})
    try:
        await delete_post(services(request), post.public_id)
    except PostError as exc:
        raise Forbidden(str(exc)) from exc
    return done(f"/desk/posts/{post.public_id}?deleted=1")


async def retry_view(request: Request, identity: Identity) -> Response:
    svc = services(request)
    post = await _own_post(request, identity)
    async with svc.db.transaction() as session:
        await retry_now(session, post, svc.clock.now())
    svc.wakeups.notify("deliveries")
    return done(f"/desk/posts/{post.public_id}")


routes = [
    Route("/desk", desk_view(dashboard)),
    Route("/desk/compose", desk_view(compose_view), methods=["GET", "POST"]),
    Route("/desk/posts/{post_id}", desk_view(post_view)),
    Route(
        "/desk/posts/{post_id}/edit",
        desk_view(edit_view),
        methods=["GET", "POST"],
    ),
    Route("/desk/posts/{post_id}/delete", desk_view(delete_view), methods=["GET", "POST"]),
    Route("/desk/posts/{post_id}/retry", desk_view(retry_view), methods=["POST"]),
]
