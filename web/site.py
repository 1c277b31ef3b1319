"""The public site: home, members and map, profiles, the strike tracker, campaigns, events,
bulletins, tags, search, feeds, and the "join the network" form."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from actors.directory import find_local, instance_started
from actors.models import Actor, ActorKind
from content.hashtags import is_valid_tag, normalise_tag
from content.i18n import INTERFACE_LANGUAGES, babel_locale
from network.members import Application, MemberProfile, MembershipError, apply_to_join
from outbox.fields_html import country_name
from outbox.kinds import CampaignDetails, PostKind
from outbox.models import Post, PostState, Visibility
from outbox.vocabulary import CAMPAIGN_STATUS, SECTOR_NAMES, SECTORS, STRIKE_STATUS, StrikeStatus
from runtime.services import services
from web import reading
from web.charts import month_bars
from web.feeds import FEED_MEDIA_TYPES, render_calendar, render_feed
from web.forms import (
    AttemptLimiter,
    anonymous_csrf,
    anonymous_csrf_ok,
    local_path,
    remember_csrf,
    without_nul,
)
from web.pages import not_found, pages
from web.regionmap import LEGEND, REGION, render_map

LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,3}")


def _page(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10_000 else 1


def country_names_for(request: Request) -> dict[str, str]:
    """The region's country names in the reader's interface language."""
    language = pages(request).language_of(request)
    return {code: country_name(code, language) for code in REGION}


MAP_MODES = ("members", "strikes")


def map_figure(request: Request, mode: str) -> dict[str, object]:
    """What a page needs to show the map file: its address (per language, so caches keep one
    per language), its label, and the legend."""
    _ = pages(request).gettext(request)
    language = pages(request).language_of(request)
    legend = [
        (shade, _("none") if last == 0 else (str(first) if first == last else
                 f"{first}–{last}" if last is not None else f"{first}+"))
        for shade, first, last in LEGEND
    ]  # fmt: skip
    return {
        "src": f"/map/{mode}.svg?lang={language}",
        "label": _("Strike reports by country")
        if mode == "strikes"
        else _("Member organisations by country"),
        "legend": legend,
    }


async def region_map(request: Request) -> Response:
    """The map as its own file: members or strike reports per country, country names in the
    language asked for; cached by readers for five minutes (and by the page cache)."""
    mode = request.path_params["mode"]
    if mode not in MAP_MODES:
        return not_found(request)
    language = request.query_params.get("lang", "")
    if language not in INTERFACE_LANGUAGES:
        language = pages(request).language_of(request)
    svc = services(request)
    async with svc.db.reader() as session:
        network = await reading.primary_network(session)
        counts = await reading.country_counts(session, network)
    translate = svc.catalogs.get(language).gettext
    svg = render_map(
        {c: (s if mode == "strikes" else m) for c, (m, s) in counts.items()},
        label=translate(
            "Strike reports by country" if mode == "strikes" else "Member organisations by country"
        ),
    )
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=300", "Content-Language": language},
    )


async def home(request: Request) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        network = await reading.primary_network(session)
        if network is not None:
            entries, total = await reading.network_feed(
                session, network, svc.uris.media, _page(request)
            )
        else:
            entries, total = await reading.public_posts(
                session, svc.uris.media, page=_page(request)
            )
        counts = await reading.country_counts(session, network)
        events = (await reading.upcoming_events(session, svc.clock.now(), svc.uris.media))[:3]
    names = country_names_for(request)
    _ = pages(request).gettext(request)
    return pages(request).render(
        request,
        "home.html",
        {
            "network": network,
            "entries": entries,
            "total": total,
            "page": _page(request),
            "events": events,
            "map": map_figure(request, "members"),
            "counts": sorted(
                ((c, names.get(c, c), m, s) for c, (m, s) in counts.items() if m or s),
                key=lambda r: r[1],
            ),
        },
    )


async def members_page(request: Request) -> Response:
    svc = services(request)
    country = request.query_params.get("country", "").upper()[:2]
    sector = request.query_params.get("sector", "")
    async with svc.db.reader() as session:
        network = await reading.primary_network(session)
        groups = await reading.members_by_country(session, network) if network else []
        counts = await reading.country_counts(session, network)
    if country:
        groups = [(c, rows) for c, rows in groups if c == country]
    if sector:
        groups = [(c, [r for r in rows if r[0].sector == sector]) for c, rows in groups]
        groups = [(c, rows) for c, rows in groups if rows]
    names = country_names_for(request)
    mode = "strikes" if request.query_params.get("map") == "strikes" else "members"
    return pages(request).render(
        request,
        "members.html",
        {
            "network": network,
            "groups": groups,
            "country": country,
            "sector": sector,
            "sectors": SECTORS,
            "sector_names": SECTOR_NAMES,
            "country_names": names,
            "mode": mode,
            "map": map_figure(request, mode),
            "counts": sorted(
                ((c, names.get(c, c), m, s) for c, (m, s) in counts.items()), key=lambda r: r[1]
            ),
        },
    )


async def strikes_page(request: Request) -> Response:
    svc = services(request)
    q = request.query_params
    filters = reading.StrikeFilters(
        country=q.get("country", "")[:2],
        sector=q.get("sector", "") if q.get("sector") in SECTORS else "",
        status=q.get("status", "") if q.get("status") in {s.value for s in StrikeStatus} else "",
        since=_iso_date(q.get("since")),
        until=_iso_date(q.get("until")),
    )
    async with svc.db.reader() as session:
        entries, months, total = await reading.strikes(
            session, filters, svc.uris.media, _page(request)
        )
    _ = pages(request).gettext(request)
    query = "&".join(
        f"{k}={v}"
        for k, v in (
            ("country", filters.country),
            ("sector", filters.sector),
            ("status", filters.status),
            ("since", filters.since),
            ("until", filters.until),
        )
        if v
    )
    return pages(request).render(
        request,
        "strikes.html",
        {
            "entries": entries,
            "months": months,
            "total": total,
            "page": _page(request),
            "per_page": reading.STRIKES_PER_PAGE,
            "extra_query": "&" + query if query else "",
            "filters": filters,
            "sectors": SECTORS,
            "sector_names": SECTOR_NAMES,
            "statuses": STRIKE_STATUS,
            "country_names": country_names_for(request),
            "chart": month_bars(months, label=_("Strike reports per month")),
        },
    )


def _iso_date(value: str | None) -> str:
    try:
        return date.fromisoformat(value).isoformat() if value else ""
    except ValueError:
        return ""


async def listing(request: Request, *, kind: str | None, template: str, title: str) -> Response:
    svc = services(request)
    language = request.query_params.get("lang", "")[:12]
    async with svc.db.reader() as session:
        entries, total = await reading.public_posts(
            session, svc.uris.media, kind=kind, language=language or None, page=_page(request)
        )
    return pages(request).render(
        request,
        template,
        {
            "entries": entries,
            "total": total,
            "page": _page(request),
            "language": language,
            "title": pages(request).gettext(request)(title),
            "languages": INTERFACE_LANGUAGES,
            "tag": None,
            "per_page": reading.PER_PAGE,
        },
    )


async def bulletins_page(request: Request) -> Response:
    return await listing(request, kind=PostKind.article, template="listing.html", title="Bulletins")


async def campaigns_page(request: Request) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        entries, total = await reading.public_posts(
            session, svc.uris.media, kind=PostKind.campaign, page=_page(request)
        )
    today = svc.clock.now().date()
    days = {
        e.url: reading.days_in_prison(e.details.arrested_on, e.details.released_on, today)
        for e in entries
        if isinstance(e.details, CampaignDetails)
    }
    return pages(request).render(
        request,
        "campaigns.html",
        {
            "entries": entries,
            "days": days,
            "statuses": CAMPAIGN_STATUS,
            "total": total,
            "page": _page(request),
        },
    )


async def events_page(request: Request) -> Response:
    svc = services(request)
    page = _page(request)
    async with svc.db.reader() as session:
        entries = await reading.upcoming_events(session, svc.clock.now(), svc.uris.media, page=page)
    return pages(request).render(
        request,
        "events.html",
        {
            "entries": entries,
            "page": page,
            # One more page exists while this one is full (events are counted by the page).
            "total": (page - 1) * reading.EVENTS_PER_PAGE
            + len(entries)
            + (1 if len(entries) == reading.EVENTS_PER_PAGE else 0),
            "per_page": reading.EVENTS_PER_PAGE,
        },
    )


async def tag_page(request: Request) -> Response:
    svc = services(request)
    tag = normalise_tag(request.path_params["tag"])[:200]
    async with svc.db.reader() as session:
        entries, total = await reading.public_posts(
            session, svc.uris.media, tag=tag, page=_page(request), replies=True
        )
    return pages(request).render(
        request,
        "listing.html",
        {
            "entries": entries,
            "total": total,
            "page": _page(request),
            "title": f"#{tag}",
            "language": "",
            "languages": (),
            "tag": tag,
            "per_page": reading.PER_PAGE,
        },
    )


async def search_page(request: Request) -> Response:
    svc = services(request)
    query = request.query_params.get("q", "")[:200]
    async with svc.db.reader() as session:
        entries = await reading.search(session, query, svc.uris.media) if query.strip() else []
    return pages(request).render(request, "search.html", {"entries": entries, "query": query})


async def actor_posts(request: Request, actor: Actor) -> dict[str, object]:
    svc = services(request)
    async with svc.db.reader() as session:
        entries, total = await reading.public_posts(
            session, svc.uris.media, actor_id=actor.id, page=_page(request)
        )
    return {
        "entries": entries,
        "total": total,
        "page": _page(request),
        "per_page": reading.PER_PAGE,
    }


# -- feeds --------------------------------------------------------------------------------------


async def feed(request: Request) -> Response:
    svc = services(request)
    scope, name, fmt = (
        request.path_params["scope"],
        request.path_params["name"],
        request.path_params["format"],
    )
    if fmt not in FEED_MEDIA_TYPES:
        return not_found(request)
    base = svc.settings.base_url
    async with svc.db.reader() as session:
        if scope == "actor":
            actor = await find_local(session, name)
            if actor is None or actor.kind not in (ActorKind.organization, ActorKind.network):
                return not_found(request)
            if actor.kind == ActorKind.network:
                entries, _t = await reading.network_feed(session, actor, svc.uris.media)
            else:
                entries, _t = await reading.public_posts(session, svc.uris.media, actor_id=actor.id)
            # No feed-wide language: an organisation writes in several; each entry says its own.
            title, link, language = (actor.display_name, actor.url or actor.uri, None)
            quiet_since = actor.published
        elif scope == "tag":
            tag = normalise_tag(name)
            if not is_valid_tag(tag):
                return not_found(request)
            entries, _t = await reading.public_posts(session, svc.uris.media, tag=tag, replies=True)
            title, link, language = (
                f"#{tag} · {svc.settings.instance_name}",
                svc.uris.tag_page(tag),
                None,
            )
        elif scope == "language":
            if not LANGUAGE_TAG.fullmatch(name):
                return not_found(request)
            entries, _t = await reading.public_posts(session, svc.uris.media, language=name[:12])
            title, link, language = (
                f"{svc.settings.instance_name} ({name})",
                f"{base}/bulletins?lang={name}",
                name,
            )
        else:
            return not_found(request)
        if scope != "actor":  # the instance's feeds: nothing has changed since it began
            quiet_since = await instance_started(session)
    self_url = f"{base}/feeds/{scope}/{name}.{fmt}"
    body = render_feed(
        entries,
        feed_format=fmt,
        feed_id=self_url,
        title=title,
        link=link,
        self_url=self_url,
        description=svc.settings.instance_description,
        quiet_since=quiet_since,
        language=language,
        mirrors=svc.settings.mirrors,
    )
    return Response(body, media_type=FEED_MEDIA_TYPES[fmt])


async def events_calendar(request: Request) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        entries = await reading.upcoming_events(
            session, svc.clock.now(), svc.uris.media, page=1, as_next=False
        )
    body = render_calendar(entries, name=f"{svc.settings.instance_name} events")
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="events.ics"'},
    )


async def event_calendar(request: Request) -> Response:
    svc = services(request)
    async with svc.db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.public_id == request.path_params["object_id"])
        )
        if (
            post is None
            or post.kind != PostKind.event
            or post.state != PostState.published
            or post.visibility == Visibility.followers
        ):
            return not_found(request)
        entries = await reading.entries_for_posts(session, [post], svc.uris.media)
    return Response(
        render_calendar(entries, name=entries[0].title),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{post.public_id}.ics"'},
    )


async def mirrors_page(request: Request) -> Response:
    """Where else the site can be read when this address is blocked (HAMBASTEGI_MIRRORS)."""
    return pages(request).render(request, "mirrors.html", {})


# -- joining, and the interface language --------------------------------------------------------


async def join_page(request: Request, limiter: AttemptLimiter | None = None) -> Response:
    """The application form. Sending it is limited per client (`limiter`): a public form
    must not let one client fill the curators' queue."""
    svc = services(request)
    async with svc.db.reader() as session:
        network = await reading.primary_network(session)
    if network is None:
        return not_found(request, "This server hosts no network to join.")
    token = anonymous_csrf(request)
    errors: list[str] = []
    values: dict[str, str] = {}
    done = False
    if request.method == "POST":
        form = without_nul(await request.form())
        values = {k: str(v)[:5000] for k, v in form.items() if isinstance(v, str)}
        if not anonymous_csrf_ok(request, form.get("csrf")):
            errors.append("The form expired. Please send it again.")
        elif limiter is not None and not limiter.allow(
            request.client.host if request.client else "?"
        ):
            wait = max(1, round(limiter.wait(request.client.host if request.client else "?")))
            _ = pages(request).gettext(request)
            response = pages(request).render(
                request,
                "error.html",
                {
                    "title": _("Too many applications"),
                    "message": _(
                        "Too many applications were sent from here. "
                        "Please wait a few minutes and send it again."
                    ),
                },
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
            return response
        else:
            try:
                await apply_to_join(
                    svc,
                    network.username,
                    Application(
                        organisation=values.get("organisation", ""),
                        contact=values.get("contact", ""),
                        account=values.get("account") or None,
                        description=values.get("description", ""),
                        profile=MemberProfile(
                            values.get("country", ""),
                            values.get("sector", ""),
                            tuple(x for x in values.get("languages", "").split() if x),
                        ),
                    ),
                )
                done = True
            except MembershipError as exc:
                errors.append(str(exc))
    response = pages(request).render(
        request,
        "join.html",
        {
            "network": network,
            "csrf": token,
            "errors": errors,
            "values": values,
            "done": done,
            "sectors": SECTORS,
            "sector_names": SECTOR_NAMES,
            "country_names": country_names_for(request),
        },
        status_code=400 if errors else 200,
    )
    remember_csrf(request, response, token)
    return response


async def set_language(request: Request) -> Response:
    language = request.query_params.get("lang", "")
    response = RedirectResponse(local_path(request.query_params.get("next")), status_code=303)
    if language in INTERFACE_LANGUAGES:
        response.set_cookie(
            "lang",
            language,
            max_age=365 * 86400,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


def language_name(code: str) -> str:
    return babel_locale(code).get_display_name(code) or code


async def about_page(request: Request) -> Response:
    """What this server is, who runs its network, and how to reach it from the fediverse
    (the instance actor's `url`)."""
    svc = services(request)
    async with svc.db.reader() as session:
        network = await reading.primary_network(session)
        groups = await reading.members_by_country(session, network) if network else []
        members = sum(len(rows) for _country, rows in groups)
        organisations = list(
            await session.scalars(
                select(Actor)
                .where(Actor.kind.in_((ActorKind.organization, ActorKind.network)))
                .where(Actor.deleted_at.is_(None))
                .order_by(Actor.username)
            )
        )
    return pages(request).render(
        request,
        "about.html",
        {
            "network": network,
            "member_count": members,
            "organisations": organisations,
            "contact_email": svc.settings.contact_email,
        },
    )


def site_routes(form_limiter: AttemptLimiter) -> list[Route]:
    """The public site; `form_limiter` limits how often one client may send the public forms."""

    async def join(request: Request) -> Response:
        return await join_page(request, form_limiter)

    return [
        *(r for r in routes if r.path != "/join"),
        Route("/join", join, methods=["GET", "POST"]),
    ]


routes = [
    Route("/", home),
    Route("/about", about_page),
    Route("/mirrors", mirrors_page),
    Route("/members", members_page),
    Route("/map/{mode}.svg", region_map),
    Route("/strikes", strikes_page),
    Route("/campaigns", campaigns_page),
    Route("/events", events_page),
    Route("/events.ics", events_calendar),
    Route("/bulletins", bulletins_page),
    Route("/tags/{tag}", tag_page),
    Route("/search", search_page),
    Route("/join", join_page, methods=["GET", "POST"]),
    Route("/language", set_language),
    Route("/feeds/{scope}/{name}.{format}", feed),
    Route("/objects/{object_id}/event.ics", event_calendar),
]
