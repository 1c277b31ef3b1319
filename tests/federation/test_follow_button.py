"""The Follow button, for people who are not fediverse experts, across two real instances: a
reader of instance A presses Follow on a profile, writes their address on instance B, is sent
to B's interaction page (the `subscribe` template of B's WebFinger), confirms as the editor
of B's organisation, and the follow is made and accepted."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from accounts.users import create_user
from tests.factories import make_actor
from tests.federation.test_follow import follow_states
from tests.harness import Instance, eventually

pytestmark = pytest.mark.federation
PASSWORD = "correct horse battery staple"


def form_token(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_the_follow_button_reaches_the_readers_server_and_the_follow_is_made(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    union = await make_actor(a.svc, "union")
    teachers = await make_actor(b.svc, "teachers")
    async with b.svc.db.transaction() as session:
        await create_user(
            session, b.svc.clock, username="editor", password=PASSWORD, editor_of=["teachers"]
        )

    profile = await a.http.get("/actors/union", headers={"Accept": "text/html"})
    assert f'href="/interact?uri={quote(union.uri, safe="/")}"' in profile.text
    form = await a.http.get(f"/interact?uri={quote(union.uri, safe='')}")
    sent = await a.http.post(
        "/interact",
        data={"csrf": form_token(form.text), "uri": union.uri, "who": f"teachers@{b.host}"},
        headers={"Origin": a.base_url},
    )

    assert sent.status_code == 303
    location = sent.headers["location"]
    assert location == f"{b.base_url}/authorize_interaction?uri={quote(union.uri, safe='')}"

    async with httpx.AsyncClient(base_url=b.base_url, timeout=10) as reader:
        desk_page = await reader.get(location)  # Mastodon's path: on to the desk's page
        assert desk_page.status_code == 303
        here = desk_page.headers["location"]
        assert here == f"/desk/authorize_interaction?uri={quote(union.uri, safe='')}"
        asked = await reader.get(here)  # not logged in yet: the desk's login, coming back
        assert asked.status_code == 303
        login_page = await reader.get(asked.headers["location"])
        logged_in = await reader.post(
            asked.headers["location"],
            data={"csrf": form_token(login_page.text), "username": "editor", "password": PASSWORD},
            headers={"Origin": b.base_url},
        )
        assert logged_in.status_code == 303
        assert logged_in.headers["location"] == here
        confirm = await reader.get(here)
        assert confirm.status_code == 200
        assert f"@union@{a.host}" in confirm.text
        followed = await reader.post(
            "/desk/authorize_interaction",
            data={"csrf": form_token(confirm.text), "uri": union.uri, "as": str(teachers.id)},
            headers={"Origin": b.base_url},
        )

    assert followed.status_code == 200
    assert "now follows" in followed.text or "asked to follow" in followed.text
    assert await eventually(lambda: follow_states(a, teachers.uri, union.uri)) == ["accepted"]


async def test_a_bare_server_name_goes_to_that_servers_interaction_page(
    pair: tuple[Instance, Instance],
) -> None:
    a, b = pair
    union = await make_actor(a.svc, "union")
    form = await a.http.get(f"/interact?uri={quote(union.uri, safe='')}")

    sent = await a.http.post(
        "/interact",
        data={"csrf": form_token(form.text), "uri": union.uri, "who": b.host},
        headers={"Origin": a.base_url},
    )

    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"{b.base_url}/authorize_interaction?uri=")


@pytest.mark.parametrize(
    ("who", "status"),
    [("", 400), ("nobody@", 400), ("not a server!", 400), ("x" * 400, 400)],
)
async def test_a_bad_address_is_answered_on_the_form_with_what_to_write(
    pair: tuple[Instance, Instance], who: str, status: int
) -> None:
    a, _b = pair
    union = await make_actor(a.svc, "union")
    form = await a.http.get(f"/interact?uri={quote(union.uri, safe='')}")

    sent = await a.http.post(
        "/interact",
        data={"csrf": form_token(form.text), "uri": union.uri, "who": who},
        headers={"Origin": a.base_url},
    )

    assert sent.status_code == status
    assert 'role="alert"' in sent.text


async def test_only_our_own_actors_and_posts_can_be_followed_through_the_form(
    pair: tuple[Instance, Instance],
) -> None:
    a, _b = pair
    elsewhere = await a.http.get("/interact?uri=https%3A%2F%2Fevil.example%2Fusers%2Fx")
    missing = await a.http.get(f"/interact?uri={quote(a.base_url + '/actors/nobody', safe='')}")

    assert elsewhere.status_code == 400
    assert missing.status_code == 404
