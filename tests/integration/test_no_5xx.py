"""No request from anyone, with any query or path, gets a 5xx: every public route is fed
Hypothesis-made query strings and path segments (through HTTP, in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.site_support import Site, site

ROUTES = [
    "/", "/members", "/strikes", "/campaigns", "/events", "/events.ics", "/bulletins",
    "/search", "/join", "/about", "/healthz", "/tags/{seg}", "/actors/{seg}", "/@{seg}",
    "/objects/{seg}", "/objects/{seg}/event.ics", "/feeds/actor/{seg}.atom",
    "/feeds/tag/{seg}.rss", "/feeds/language/{seg}.atom", "/actors/{seg}/outbox",
    "/actors/{seg}/followers", "/actors/{seg}/following", "/actors/{seg}/featured",
    "/actors/oil_workers/outbox", "/actors/oil_workers/followers", "/actor",
    "/.well-known/webfinger", "/.well-known/nodeinfo", "/nodeinfo/{seg}", "/language",
    "/media/{seg}", "/desk/login", "/map/{seg}.svg", "/map/members.svg", "/interact",
    "/authorize_interaction",
]  # fmt: skip
NAMES = ["page", "lang", "country", "sector", "status", "since", "until", "q", "resource",
         "next", "map", "all", "uri"]  # fmt: skip
text = st.text(max_size=40)


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def test_no_public_route_answers_5xx_to_any_query(s: Site) -> None:
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        st.sampled_from(ROUTES),
        text,
        st.dictionaries(st.sampled_from(NAMES), text, max_size=4),
        st.sampled_from(["text/html", "application/activity+json", "*/*", "application/json;q=x"]),
    )
    def check(route: str, segment: str, query: dict[str, str], accept: str) -> None:
        path = route.format(seg=quote(segment, safe="") or "x")
        response = asyncio.run_coroutine_threadsafe(
            s.http.get(path, params=query, headers={"Accept": accept}), loop
        ).result(timeout=60)
        assert response.status_code < 500, (path, query, accept, response.text[:300])

    await asyncio.to_thread(check)


FORM_ROUTES = ["/join", "/desk/login", "/inbox", "/actors/oil_workers/inbox", "/actor/inbox",
               "/interact"]  # fmt: skip
FIELDS = ["csrf", "organisation", "contact", "account", "country", "sector", "languages",
          "description", "username", "password", "code", "uri", "who"]  # fmt: skip


async def test_no_form_or_body_gets_a_5xx(s: Site) -> None:
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        st.sampled_from(FORM_ROUTES),
        st.one_of(
            st.dictionaries(st.sampled_from(FIELDS), text, max_size=6),
            st.binary(max_size=300),
        ),
        st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/activity+json",
                "text/plain",
            ]
        ),
    )
    def check(route: str, body: dict[str, str] | bytes, content_type: str) -> None:
        async def send() -> int:
            if isinstance(body, dict):
                response = await s.http.post(route, data=body)
            else:
                response = await s.http.post(
                    route, content=body, headers={"content-type": content_type}
                )
            return int(response.status_code)

        status = asyncio.run_coroutine_threadsafe(send(), loop).result(timeout=60)
        assert status < 500, (route, body, content_type)

    await asyncio.to_thread(check)


DESK_FIELDS = ["kind", "actor", "body", "title", "summary", "language", "visibility", "tags",
               "publish_at", "publish_tz", "sensitive", "d_country", "d_workplace", "d_sector",
               "d_workers", "d_start_date", "d_end_date", "d_status", "d_starts_at",
               "d_ends_at", "d_timezone", "d_person", "d_arrested_on", "d_actions",
               "d_demands", "translation_of", "reply_to", "action"]  # fmt: skip


async def test_no_desk_form_an_editor_sends_gets_a_5xx(s: Site) -> None:
    from tests.integration.site_support import csrf, log_in

    await log_in(s, "editor")
    token = await csrf(s, "/desk/compose")
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        st.sampled_from(["/desk/compose", "/desk/compose?kind=strike", "/desk/compose?kind=event"]),
        st.dictionaries(
            st.sampled_from(DESK_FIELDS),
            st.one_of(text, st.sampled_from(["strike", "event", "campaign", "article", "preview"])),
            max_size=10,
        ),
    )
    def check(route: str, fields: dict[str, str]) -> None:
        data = {"csrf": token, **fields}
        response = asyncio.run_coroutine_threadsafe(
            s.http.post(route, data=data, headers={"Origin": s.instance.base_url}), loop
        ).result(timeout=60)
        assert response.status_code < 500, (route, fields, response.text[:500])

    await asyncio.to_thread(check)


async def test_nul_characters_are_refused_before_they_reach_storage(s: Site) -> None:
    path = await s.http.get("/tags/a%00b")
    query = await s.http.get("/bulletins", params={"lang": "fa\x00"})
    body = await s.http.post(
        "/inbox",
        content=b'{"id": "https://x.example/1\\u0000", "type": "Follow", "actor": "https://x.example/a"}',
        headers={"content-type": "application/activity+json"},
    )

    assert (path.status_code, query.status_code, body.status_code) == (400, 400, 400)
    assert "NUL" in body.json()["error"]
