"""The client API keeps the desk's rules: a token speaks only for the organisation it was
granted for, loses its power the moment the editor's grant or the token is withdrawn, has
only its scopes, and never names the person behind it. Bad input of every kind is a clear
4xx with Mastodon's `{"error": …}` body, and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from accounts.models import Grant, OAuthToken
from accounts.oauth import OAuthError, check_authorization, exchange_code, issue_code, register_app
from accounts.users import create_user
from outbox.models import Post
from tests.integration.site_support import Site, remote_follower, site

pytestmark = pytest.mark.db

CALLBACK = "http://127.0.0.1:9/callback"


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def token_for(
    s: Site, username: str = "editor", actor_id: int | None = None, scopes: str = "read write"
) -> str:
    svc = s.instance.svc
    async with svc.db.transaction() as session:
        app, secret = await register_app(
            session, svc.clock, name="t", redirect_uris=CALLBACK, scopes="read write follow"
        )
        asked = check_authorization(
            app,
            response_type="code",
            redirect_uri=CALLBACK,
            scope=scopes,
            state=None,
            code_challenge=None,
            code_challenge_method=None,
        )
        from accounts.models import User

        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        code = await issue_code(
            session, svc.clock, asked, user_id=user.id, actor_id=actor_id or s.union.id
        )
        token, _row = await exchange_code(
            session,
            svc.clock,
            client_id=app.client_id,
            client_secret=secret,
            code=code,
            redirect_uri=CALLBACK,
            code_verifier=None,
        )
    return token


async def api(s: Site, token: str | None, method: str, path: str, **kwargs: Any) -> Any:
    headers = {
        **kwargs.pop("headers", {}),
        **({"Authorization": f"Bearer {token}"} if token else {}),
    }
    return await s.instance.http.request(method, path, headers=headers, **kwargs)


async def post_count(s: Site) -> int:
    async with s.instance.svc.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Post)) or 0)


async def test_the_account_is_the_organisation_never_the_editor(s: Site) -> None:
    token = await token_for(s)

    me = await api(s, token, "GET", "/api/v1/accounts/verify_credentials")

    assert me.status_code == 200
    assert me.json()["acct"] == "oil_workers"
    assert "editor" not in me.text


async def test_a_withdrawn_grant_or_revoked_token_is_refused_at_once(s: Site) -> None:
    token = await token_for(s)
    assert (await api(s, token, "GET", "/api/v1/accounts/verify_credentials")).status_code == 200

    async with s.instance.svc.db.transaction() as session:
        await session.execute(delete(Grant))

    refused = await api(s, token, "POST", "/api/v1/statuses", data={"status": "x"})
    assert refused.status_code == 401
    assert refused.json() == {"error": "The access token is invalid"}


async def test_an_editor_cannot_get_a_token_for_another_organisation(s: Site) -> None:
    """The consent page offers only the editor's organisations; a forged form is refused."""
    await s.instance.http.get("/desk/login")
    from tests.integration.site_support import log_in

    await log_in(s, "editor")
    svc = s.instance.svc
    async with svc.db.transaction() as session:
        app, _secret = await register_app(
            session, svc.clock, name="t", redirect_uris=CALLBACK, scopes="read write"
        )
    query = f"response_type=code&client_id={app.client_id}&redirect_uri={CALLBACK}&scope=write"
    page = await s.instance.http.get(f"/desk/oauth/authorize?{query}")
    assert page.status_code == 200
    assert 'value="teachers"' not in page.text
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    forged = await s.instance.http.post(
        "/desk/oauth/authorize",
        data={
            "csrf": token,
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": CALLBACK,
            "scope": "write",
            "actor": "teachers",
            "decision": "approve",
        },
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    async with svc.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(OAuthToken)) == 0


async def test_scopes_limit_what_a_token_does(s: Site) -> None:
    reader = await token_for(s, scopes="read")

    refused = await api(s, reader, "POST", "/api/v1/statuses", data={"status": "x"})

    assert refused.status_code == 403
    assert "scopes" in refused.json()["error"]
    assert (await api(s, reader, "GET", "/api/v1/timelines/home")).status_code == 200


async def test_someone_elses_status_cannot_be_edited_or_deleted(s: Site) -> None:
    token = await token_for(s)
    theirs = s.posts["article"]  # the teachers' post
    async with s.instance.svc.db.reader() as session:
        post = await session.get(Post, theirs.id)
    assert post is not None
    from api.entities import post_id

    status_id = post_id(post)

    deleted = await api(s, token, "DELETE", f"/api/v1/statuses/{status_id}")
    edited = await api(s, token, "PUT", f"/api/v1/statuses/{status_id}", data={"status": "mine"})

    assert deleted.status_code == 404
    assert edited.status_code == 404
    async with s.instance.svc.db.reader() as session:
        unchanged = await session.get(Post, theirs.id)
    assert unchanged is not None
    assert unchanged.state == "published"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, 422),
        ({"json": {"status": ["a", "list"]}}, 422),
        ({"json": {"status": {"an": "object"}}}, 422),
        ({"json": {"status": "x" * 5001}}, 422),
        ({"json": {"status": ""}}, 422),
        ({"json": {"status": "x", "visibility": "direct"}}, 422),
        ({"json": {"status": "x", "visibility": "everyone"}}, 422),
        ({"json": {"status": "x", "language": "not a language"}}, 422),
        ({"json": {"status": "x", "scheduled_at": "tomorrow"}}, 422),
        ({"json": {"status": "x", "scheduled_at": "2020-01-01T00:00:00Z"}}, 422),
        ({"json": {"status": "x", "media_ids": ["999999"]}}, 422),
        ({"json": {"status": "x", "media_ids": "1" * 30}}, 422),
        ({"json": {"status": "x", "in_reply_to_id": "12345"}}, 404),
        ({"json": {"status": "x", "sensitive": "perhaps"}}, 422),
        ({"json": {"status": "x", "poll": {"options": ["a", "b"], "expires_in": 300}}}, 422),
        (
            {"content": b"x" * (2 * 1024 * 1024), "headers": {"Content-Type": "application/json"}},
            413,
        ),
    ],
)
async def test_bad_statuses_are_a_clear_4xx_and_post_nothing(
    s: Site, kwargs: dict[str, Any], status: int
) -> None:
    token = await token_for(s)
    before = await post_count(s)

    response = await api(s, token, "POST", "/api/v1/statuses", **kwargs)

    assert response.status_code == status, response.text
    assert isinstance(response.json()["error"], str)
    assert await post_count(s) == before


async def test_bad_uploads_and_unknown_ids_are_refused(s: Site) -> None:
    token = await token_for(s)

    not_image = await api(
        s, token, "POST", "/api/v2/media", files={"file": ("x.jpg", b"not an image", "image/jpeg")}
    )
    no_file = await api(s, token, "POST", "/api/v2/media", data={"description": "x"})
    unknown = await api(s, token, "GET", "/api/v1/statuses/99999999999991000000000000")
    garbage = await api(s, token, "GET", "/api/v1/statuses/../../etc/passwd")
    no_token = await api(s, None, "POST", "/api/v1/statuses", json={"status": "x"})
    bad_token = await api(s, "nonsense", "GET", "/api/v1/accounts/verify_credentials")

    assert not_image.status_code == 422
    assert no_file.status_code == 422
    assert unknown.status_code == 404
    assert garbage.status_code == 404
    assert no_token.status_code == 401
    assert bad_token.status_code == 401
    assert bad_token.headers["www-authenticate"].startswith("Bearer")


async def test_oauth_refuses_what_it_cannot_grant(s: Site) -> None:
    svc = s.instance.svc
    bad_app = await s.instance.http.post("/api/v1/apps", json={"client_name": "x"})
    bad_scope = await s.instance.http.post(
        "/api/v1/apps",
        json={"client_name": "x", "redirect_uris": CALLBACK, "scopes": "read admin:write"},
    )
    password = await s.instance.http.post(
        "/oauth/token", data={"grant_type": "password", "username": "editor", "password": "x"}
    )
    wrong_code = await s.instance.http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "client_id": "nope", "code": "nope"},
    )
    async with svc.db.transaction() as session:
        app, _secret = await register_app(
            session, svc.clock, name="t", redirect_uris=CALLBACK, scopes="read"
        )
    with pytest.raises(OAuthError, match="redirect_uri"):
        check_authorization(
            app,
            response_type="code",
            redirect_uri="http://127.0.0.1:9/elsewhere",
            scope="read",
            state=None,
            code_challenge=None,
            code_challenge_method=None,
        )
    with pytest.raises(OAuthError, match="scopes"):
        check_authorization(
            app,
            response_type="code",
            redirect_uri=CALLBACK,
            scope="write",
            state=None,
            code_challenge=None,
            code_challenge_method=None,
        )

    assert bad_app.status_code == 422
    assert bad_scope.status_code == 422
    assert password.status_code == 400
    assert password.json()["error"] == "unsupported_grant_type"
    assert wrong_code.status_code == 401
    assert wrong_code.json()["error"] == "invalid_client"


async def test_pkce_codes_need_the_verifier_and_are_good_once(s: Site) -> None:
    import base64
    import hashlib

    svc = s.instance.svc
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    async with svc.db.transaction() as session:
        app, _secret = await register_app(
            session, svc.clock, name="t", redirect_uris=CALLBACK, scopes="read"
        )
        asked = check_authorization(
            app,
            response_type="code",
            redirect_uri=CALLBACK,
            scope="read",
            state="x",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        code = await issue_code(session, svc.clock, asked, user_id=1, actor_id=s.union.id)
    form = {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "code": code,
        "redirect_uri": CALLBACK,
    }

    wrong = await s.instance.http.post("/oauth/token", data={**form, "code_verifier": "w" * 50})
    right = await s.instance.http.post("/oauth/token", data={**form, "code_verifier": verifier})
    again = await s.instance.http.post("/oauth/token", data={**form, "code_verifier": verifier})

    assert wrong.status_code == 400
    assert right.status_code == 200
    assert right.json()["token_type"] == "Bearer"
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_the_server_metadata_names_the_endpoints(s: Site) -> None:
    found = (await s.instance.http.get("/.well-known/oauth-authorization-server")).json()

    assert found["token_endpoint"] == f"{s.instance.base_url}/oauth/token"
    assert "S256" in found["code_challenge_methods_supported"]
    assert "password" not in found["grant_types_supported"]


async def test_unused_users_are_not_editors(s: Site) -> None:
    """An account with no grant gets no organisation on the consent page."""
    async with s.instance.svc.db.transaction() as session:
        await create_user(session, s.instance.svc.clock, username="nobody", password="p" * 20)
    s.http.cookies.clear()
    from tests.integration.site_support import log_in

    await log_in(s, "nobody", "p" * 20)
    async with s.instance.svc.db.transaction() as session:
        app, _secret = await register_app(
            session, s.instance.svc.clock, name="t", redirect_uris=CALLBACK, scopes="read"
        )
    page = await s.instance.http.get(
        f"/desk/oauth/authorize?response_type=code&client_id={app.client_id}"
        f"&redirect_uri={CALLBACK}"
    )
    assert page.status_code == 403


async def test_every_answer_says_how_many_requests_are_left_and_429_past_the_limit(
    s: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import auth as api_auth

    monkeypatch.setattr(api_auth, "RATE_LIMIT", 3)
    token = await token_for(s)

    answers = [await api(s, token, "GET", "/api/v1/accounts/verify_credentials") for _ in range(4)]

    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[0].headers["x-ratelimit-limit"] == "3"
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json() == {"error": "Too many requests"}


async def test_the_desk_lists_an_editors_apps_and_revokes_them(s: Site) -> None:
    token = await token_for(s)
    from tests.integration.site_support import csrf, log_in

    await log_in(s, "editor")
    listing = await s.instance.http.get("/desk/apps")
    assert listing.status_code == 200
    assert "read write" in listing.text
    token_id = listing.text.split('action="/desk/apps/', 1)[1].split("/", 1)[0]

    revoked = await s.instance.http.post(
        f"/desk/apps/{token_id}/revoke",
        data={"csrf": await csrf(s, "/desk/apps")},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )

    assert revoked.status_code == 303
    assert (await api(s, token, "GET", "/api/v1/accounts/verify_credentials")).status_code == 401


async def test_follow_requests_are_listed_and_answered(s: Site) -> None:
    from actors.models import Follow, FollowState

    svc = s.instance.svc
    reader = await remote_follower(s, s.union, FollowState.pending)
    token = await token_for(s, scopes="read write follow")

    pending = await api(s, token, "GET", "/api/v1/follow_requests")
    notified = await api(
        s, token, "GET", "/api/v1/notifications", params={"types[]": "follow_request"}
    )
    approved = await api(s, token, "POST", f"/api/v1/follow_requests/{reader.id}/authorize")

    assert [a["acct"] for a in pending.json()] == ["reader@127.0.0.1:9"]
    assert [n["type"] for n in notified.json()] == ["follow_request"]
    assert approved.json()["followed_by"] is True
    async with svc.db.reader() as session:
        state = await session.scalar(select(Follow.state).where(Follow.follower_id == reader.id))
    assert state == FollowState.accepted
    again = await api(s, token, "POST", f"/api/v1/follow_requests/{reader.id}/reject")
    assert again.status_code == 404  # nothing pending any more


async def test_timelines_page_with_link_headers_from_first_to_last(s: Site) -> None:
    from outbox.compose import Draft
    from outbox.kinds import PostKind
    from outbox.posts import create_post

    for n in range(45):
        await create_post(
            s.instance.svc, s.union, Draft(kind=PostKind.note, body=f"note {n}", language="en")
        )
    token = await token_for(s)
    seen: list[str] = []
    url = "/api/v1/timelines/home?limit=20"
    pages = 0
    while url and pages < 10:
        response = await api(s, token, "GET", url)
        batch = response.json()
        if not batch:
            break
        seen += [status["id"] for status in batch]
        link = response.headers.get("link", "")
        url = link.split(">;", 1)[0].lstrip("<").replace(s.instance.base_url, "") if link else ""
        pages += 1

    assert len(seen) == len(set(seen))  # no status twice across pages
    assert seen == sorted(seen, key=int, reverse=True)  # newest first, all the way down
    async with s.instance.svc.db.reader() as session:
        own = await session.scalar(
            select(func.count()).select_from(Post).where(Post.actor_id == s.union.id)
        )
    assert len(seen) == own
    newest = seen[0]
    newer = await api(s, token, "GET", f"/api/v1/timelines/home?min_id={seen[5]}&limit=3")
    assert [st["id"] for st in newer.json()] == seen[2:5]
    assert newest not in [st["id"] for st in newer.json()]
