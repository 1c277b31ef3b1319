"""Desk: the dashboard, posts, compose (with preview and translations side by side), edit,
delete, and delivery status per server with "retry now"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accounts.sessions import Identity
from actors.models import Actor, ActorKind
from mail.sending import sending_status
from mail.subscriptions import counts_by_language
from outbox import participation
from outbox.compose import Draft, ImageUpload, KeptImage, PostError, compose
from outbox.drafts import (
    MediaChanges,
    discard_draft,
    drafts_of,
    find_draft,
    kept_images,
    save_draft,
    title_of,
)
from outbox.kinds import PostKind
from outbox.models import EventParticipant, Post, PostState, SavedDraft, Visibility
from outbox.posts import create_post, delete_post, edit_post, may_see, same_organisation
from outbox.status import delivery_status, retry_now
from outbox.vocabulary import CAMPAIGN_STATUS, SECTOR_NAMES, SECTORS, STRIKE_STATUS
from runtime.services import services
from web.desk.common import Forbidden, desk_view, done, field_text, form_of, render
from web.pages import pages
from web.site import country_names_for

LIST_FIELDS = {"demands", "sources", "charges", "exceptions", "cancelled"}
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
    "event": (
        "starts_at",
        "ends_at",
        "timezone",
        "location",
        "online_url",
        "recurrence",
        "exceptions",
        "cancelled",
        "moved",
        "reminder_hours",
        "capacity",
        "approval",
        "participants_public",
    ),
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
        subscribers = {a.id: await counts_by_language(session, a.id) for a in actors}
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
            "subscribers": subscribers,
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
        elif name == "moved":
            moves = {}
            for line in value.splitlines():
                day, _sep, new_start = line.partition("|")
                if line.strip():
                    moves[day.strip()] = new_start.strip()
            details[name] = moves
        elif name == "reminder_hours" or name == "workers":
            details[name] = int(value) if value.isascii() and value.isdigit() else value
        else:
            details[name] = value
    return details


async def draft_from_form(
    form: FormData,
    kind: str,
    *,
    translation_of: str | None = None,
    in_reply_to: str | None = None,
    images: tuple[ImageUpload | KeptImage, ...] | None = None,
) -> Draft:
    if images is None:
        images = ()
        upload = form.get("image")
        if isinstance(upload, UploadFile) and upload.filename:
            images = (ImageUpload(await upload.read(), field_text(form, "alt")),)
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
        images=images,
    )


def details_to_form(details: dict[str, Any]) -> dict[str, str]:
    """A post's structured fields as the compose form shows them (lists one per line)."""
    values = {}
    for name, value in details.items():
        if name == "actions":
            values[f"d_{name}"] = "\n".join(f"{a['label']} | {a['url']}" for a in value)
        elif name == "moved":
            values[f"d_{name}"] = "\n".join(f"{day} | {start}" for day, start in value.items())
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


_NOT_DRAFT_FIELDS = {"csrf", "action", "draft", "alt", "saved"}


def _draft_fields(form: FormData) -> dict[str, str]:
    """The form as typed, to resume later (not the token, the button, or image fields)."""
    return {
        name: value
        for name, value in form.multi_items()
        if isinstance(value, str)
        and name not in _NOT_DRAFT_FIELDS
        and not name.startswith(("kept_alt_", "remove_"))
    }


async def _media_changes(form: FormData) -> MediaChanges:
    upload = form.get("image")
    uploads = []
    if isinstance(upload, UploadFile) and upload.filename:
        uploads.append((await upload.read(), field_text(form, "alt")))
    return MediaChanges(
        uploads=uploads,
        alt_texts={
            name.removeprefix("kept_alt_"): value
            for name, value in form.multi_items()
            if name.startswith("kept_alt_") and isinstance(value, str)
        },
        removed=frozenset(
            name.removeprefix("remove_") for name in form if name.startswith("remove_")
        ),
    )


async def _owned_draft(request: Request, identity: Identity, public_id: str) -> SavedDraft:
    async with services(request).db.reader() as session:
        draft = await find_draft(session, public_id)
    if draft is None or not identity.can_edit(draft.actor_id):
        raise Forbidden(
            "That draft does not exist any more (it was published or discarded), "
            "or you are not an editor of its organisation."
        )
    return draft


def _chosen_actor(actors: list[Actor], wanted: str) -> Actor:
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
    return actor


def _kind_of(value: object) -> str:
    kind = str(value or "note")
    return kind if kind in {k.value for k in PostKind} else "note"


async def compose_view(request: Request, identity: Identity) -> Response:
    """Write a post. Every button first keeps the draft (fields and cleaned images), so Preview,
    Save and a refused Publish lose nothing; a published draft is discarded."""
    svc = services(request)
    _ = pages(request).gettext(request)
    actors = await editable_actors(request, identity)
    params: Mapping[str, Any] = (
        request.query_params if request.method == "GET" else form_of(request)
    )
    saved = (
        await _owned_draft(request, identity, str(params["draft"])) if params.get("draft") else None
    )
    if request.method == "GET" and saved is not None:
        params = {**saved.fields, "kind": saved.kind.value}
        by_id = {a.id: a for a in actors}
        params.setdefault(
            "actor", by_id[saved.actor_id].username if saved.actor_id in by_id else ""
        )
    kind = _kind_of(params.get("kind"))
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
    actor = _chosen_actor(actors, wanted)
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
    context: dict[str, Any] = {
        "actors": actors,
        "actor": actor,
        "original": original,
        "translation_of": translation_of,
        "reply_to": reply_to,
        "preview": None,
        "errors": [],
        "unresolved": [],
        "notice": _("Draft saved. It is listed under Drafts.")
        if request.query_params.get("saved") == "1"
        else "",
    }
    if request.method == "POST":
        form = form_of(request)
        try:
            saved = await save_draft(
                svc,
                actor,
                PostKind(kind),
                _draft_fields(form),
                await _media_changes(form),
                draft_id=saved.public_id if saved else None,
            )
            values["alt"] = ""  # the alt text now belongs to the kept image
            action = field_text(form, "action")
            if action == "save":
                return done(f"/desk/compose?draft={saved.public_id}&saved=1")
            draft = await draft_from_form(
                form,
                kind,
                translation_of=translation_of,
                in_reply_to=reply_to,
                images=kept_images(saved),
            )
            if action == "preview":
                composed = await compose(svc, draft)
                context["preview"] = composed
                context["unresolved"] = composed.unresolved_mentions
            else:
                post = await create_post(svc, actor, draft)
                await discard_draft(svc, saved.public_id)
                return done(f"/desk/posts/{post.public_id}")
        except PostError as exc:
            context["errors"] = [str(exc)]
    context["draft"] = saved
    context["kept"] = kept_images(saved) if saved is not None else ()
    return render(
        request,
        identity,
        "desk/compose.html",
        {**context, **_form_context(kind, values, request)},
        status_code=400 if context["errors"] else 200,
    )


async def autosave_view(request: Request, identity: Identity) -> Response:
    """The compose page's script saves the draft while the editor writes: JSON in, JSON out."""
    form = form_of(request)
    actors = await editable_actors(request, identity)
    try:
        actor = _chosen_actor(actors, field_text(form, "actor"))
        draft_id = field_text(form, "draft")
        saved = await _owned_draft(request, identity, draft_id) if draft_id else None
        saved = await save_draft(
            services(request),
            actor,
            PostKind(_kind_of(form.get("kind"))),
            _draft_fields(form),
            await _media_changes(form),
            draft_id=saved.public_id if saved else None,
        )
    except (Forbidden, PostError) as exc:
        status = 403 if isinstance(exc, Forbidden) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)
    return JSONResponse(
        {"draft": saved.public_id, "saved_at": saved.updated_at.isoformat()},
        headers={"Cache-Control": "no-store"},
    )


async def drafts_view(request: Request, identity: Identity) -> Response:
    actors = await editable_actors(request, identity)
    async with services(request).db.reader() as session:
        drafts = await drafts_of(session, [a.id for a in actors])
    _ = pages(request).gettext(request)
    return render(
        request,
        identity,
        "desk/drafts.html",
        {
            "drafts": drafts,
            "by_id": {a.id: a for a in actors},
            "title_of": title_of,
            "notice": _("Draft discarded.") if request.query_params.get("discarded") else "",
        },
    )


async def discard_view(request: Request, identity: Identity) -> Response:
    draft = await _owned_draft(request, identity, request.path_params["draft_id"])
    await discard_draft(services(request), draft.public_id)
    return done("/desk/drafts?discarded=1")


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
        mail_status = await sending_status(session, post)
        people = (
            await participation.participants(session, post.id)
            if post.kind == PostKind.event
            else []
        )
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
        {
            "post": post,
            "actor": actor,
            "hosts": hosts,
            "notice": notice,
            "mail_status": mail_status,
            "smtp_configured": bool(svc.settings.smtp_url),
            "people": people,
        },
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


async def participant_view(request: Request, identity: Identity) -> Response:
    """An editor answers someone who asked to attend an event that needs approval."""
    post = await _own_post(request, identity)
    approve = request.path_params["decision"] == "approve"
    async with services(request).db.reader() as session:
        row = await session.get(EventParticipant, int(request.path_params["participant_id"]))
    if row is None or row.post_id != post.id:
        raise Forbidden("That participant does not exist.")
    try:
        await participation.decide(services(request), row.id, approve=approve)
    except PostError as exc:
        raise Forbidden(str(exc)) from exc
    return done(f"/desk/posts/{post.public_id}")


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
    Route("/desk/drafts", desk_view(drafts_view)),
    Route("/desk/drafts/autosave", desk_view(autosave_view), methods=["POST"]),
    Route("/desk/drafts/{draft_id}/discard", desk_view(discard_view), methods=["POST"]),
    Route("/desk/posts/{post_id}", desk_view(post_view)),
    Route(
        "/desk/posts/{post_id}/edit",
        desk_view(edit_view),
        methods=["GET", "POST"],
    ),
    Route("/desk/posts/{post_id}/delete", desk_view(delete_view), methods=["GET", "POST"]),
    Route("/desk/posts/{post_id}/retry", desk_view(retry_view), methods=["POST"]),
    Route(
        "/desk/posts/{post_id}/participants/{participant_id:int}/{decision:str}",
        desk_view(participant_view),
        methods=["POST"],
    ),
]
