"""Mastodon.py, the Python client library from PyPI, posting as an organisation through our
Mastodon API on loopback: app, consent in the desk, a post with an image, alt text and a
content warning, an edit with its history, a scheduled post, a delete; then a second
instance's editor (also through Mastodon.py) finds the organisation, follows it and favourites
its post, and the first reads both as notifications."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from mastodon import Mastodon, MastodonAPIError
from PIL import Image
from sqlalchemy import select

from accounts.users import create_user
from outbox.models import Attachment, Post, PostState
from tests.factories import make_actor
from tests.harness import Instance, eventually, served_instance
from tests.integration.client_api_support import CALLBACK, consent
from tests.integration.site_support import PASSWORD, Site, seed

pytestmark = [pytest.mark.db, pytest.mark.federation]
T = TypeVar("T")
SCOPES = ["read", "write", "follow"]


async def call(fn: Callable[[], T]) -> T:
    """Mastodon.py is synchronous: run it beside the servers' event loop."""
    return await asyncio.to_thread(fn)


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Site]:
    async with served_instance(tmp_path, name="api") as instance:
        yield await seed(instance)


async def client_for(
    instance: Instance, *, username: str = "editor", actor: str = "oil_workers"
) -> Mastodon:
    base = instance.base_url
    client_id, client_secret = await call(
        lambda: Mastodon.create_app(
            "Hambastegi test app", scopes=SCOPES, redirect_uris=CALLBACK, api_base_url=base
        )
    )
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    url = await call(
        lambda: app.auth_request_url(
            redirect_uris=CALLBACK, scopes=SCOPES, state="s1", allow_http=True
        )
    )
    answer = await consent(instance, url, username=username, actor=actor)
    assert answer["state"] == ["s1"]
    await call(
        lambda: app.log_in(
            code=answer["code"][0], redirect_uri=CALLBACK, scopes=SCOPES, allow_http=True
        )
    )
    return app


def photo() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 3000"
    Image.new("RGB", (80, 60), (30, 120, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_an_editor_posts_edits_schedules_and_deletes_through_mastodon_py(
    live: Site,
) -> None:
    m = await client_for(live.instance)

    me = await call(m.account_verify_credentials)
    assert me["acct"] == "oil_workers"
    assert "editor" not in str(me)  # the account is the organisation, never the person
    media = await call(
        lambda: m.media_post(photo(), mime_type="image/jpeg", description="کارگران جلوی دروازه")
    )
    posted = await call(
        lambda: m.status_post(
            "اعتصاب ادامه دارد #همبستگی",
            media_ids=[media],
            spoiler_text="عکس از تجمع",
            language="fa",
            idempotency_key="first-post",
        )
    )
    again = await call(
        lambda: m.status_post(
            "اعتصاب ادامه دارد #همبستگی", media_ids=[media], idempotency_key="first-post"
        )
    )

    assert again["id"] == posted["id"]  # the same key does not post twice
    assert posted["spoiler_text"] == "عکس از تجمع"
    assert posted["media_attachments"][0]["description"] == "کارگران جلوی دروازه"
    assert posted["tags"][0]["name"] == "همبستگی"
    assert posted["application"]["name"] == "Hambastegi test app"
    async with live.instance.svc.db.reader() as session:
        post = await session.scalar(select(Post).where(Post.uri == posted["uri"]))
        assert post is not None
        images = list(
            await session.scalars(select(Attachment).where(Attachment.post_id == post.id))
        )
    assert post.language == "fa"
    assert post.sensitive
    assert [a.alt_text for a in images] == ["کارگران جلوی دروازه"]
    served = await live.instance.http.get(posted["media_attachments"][0]["url"])
    assert b"PhoneCam" not in served.content

    edited = await call(lambda: m.status_update(posted["id"], status="اعتصاب روز چهارم"))
    history = await call(lambda: m.status_history(posted["id"]))
    assert edited["edited_at"] is not None
    assert len(history) == 2
    assert "اعتصاب روز چهارم" in history[-1]["content"]

    when = live.instance.svc.clock.now() + timedelta(hours=2)
    scheduled = await call(lambda: m.status_post("later", scheduled_at=when))
    listed = await call(m.scheduled_statuses)
    assert [s["id"] for s in listed] == [scheduled["id"]]
    assert scheduled["params"]["text"] == "later"

    await call(lambda: m.status_delete(posted["id"]))
    async with live.instance.svc.db.reader() as session:
        gone = await session.get(Post, post.id)
    assert gone is not None
    assert gone.state == PostState.deleted
    with pytest.raises(MastodonAPIError):
        await call(lambda: m.status(posted["id"]))


async def test_a_second_instance_follows_and_favourites_and_the_first_is_notified(
    live: Site, tmp_path: Path
) -> None:
    ours = await client_for(live.instance)
    posted = await call(lambda: ours.status_post("Solidarity with the refinery workers"))
    async with served_instance(tmp_path, name="other") as other:
        await make_actor(other.svc, "bakers", display_name="Bakers")
        async with other.svc.db.transaction() as session:
            await create_user(
                session, other.svc.clock, username="editor", password=PASSWORD, editor_of=["bakers"]
            )
        theirs = await client_for(other, actor="bakers")

        found = await call(
            lambda: theirs.search_v2(f"@oil_workers@{live.instance.host}", resolve=True)
        )
        assert [a["acct"] for a in found["accounts"]] == [f"oil_workers@{live.instance.host}"]
        await call(lambda: theirs.account_follow(found["accounts"][0]["id"]))
        status = await call(lambda: theirs.search_v2(posted["uri"], resolve=True))
        assert [s["uri"] for s in status["statuses"]] == [posted["uri"]]
        await call(lambda: theirs.status_favourite(status["statuses"][0]["id"]))
        boosted = await call(lambda: theirs.status_reblog(status["statuses"][0]["id"]))
        assert boosted["reblogged"] is True

        async def from_bakers() -> list[str]:
            return sorted(
                n["type"]
                for n in await call(ours.notifications)
                if n["account"]["acct"] == f"bakers@{other.host}"
            )

        assert await eventually(
            from_bakers, until=lambda k: k == ["favourite", "follow", "reblog"]
        ) == ["favourite", "follow", "reblog"]
        undone = await call(lambda: theirs.status_unreblog(status["statuses"][0]["id"]))
        assert undone["reblogged"] is False
    notifications = await call(ours.notifications)
    favourite = next(n for n in notifications if n["type"] == "favourite")
    assert favourite["account"]["acct"] == f"bakers@{other.host}"
    assert favourite["status"]["id"] == posted["id"]
    # bakers, and the network (which follows its members)
    assert (await call(ours.account_verify_credentials))["followers_count"] == 2


async def test_tokens_obey_the_desks_roles_and_revocation(live: Site) -> None:
    m = await client_for(live.instance)
    # The editor of oil_workers cannot choose another organisation on the consent page.
    client_id, client_secret = await call(
        lambda: Mastodon.create_app(
            "Other app", scopes=SCOPES, redirect_uris=CALLBACK, api_base_url=live.instance.base_url
        )
    )
    app = Mastodon(
        client_id=client_id, client_secret=client_secret, api_base_url=live.instance.base_url
    )
    url = await call(
        lambda: app.auth_request_url(redirect_uris=CALLBACK, scopes=SCOPES, allow_http=True)
    )
    with pytest.raises(AssertionError):
        await consent(live.instance, url, actor="teachers")

    token = m.access_token
    assert token is not None
    revoked = await live.instance.http.post(
        "/oauth/revoke",
        data={"client_id": m.client_id, "client_secret": m.client_secret, "token": token},
    )
    assert revoked.status_code == 200
    refused = await live.instance.http.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    assert refused.json() == {"error": "The access token is invalid"}


async def call_api(s: Site, token: str, method: str, path: str, **kwargs: Any) -> Any:
    return await s.instance.http.request(
        method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


async def toot(config_home: Path, *args: str, answers: str = "") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "toot", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "XDG_CONFIG_HOME": str(config_home), "NO_COLOR": "1"},
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(answers.encode()), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_toot_logs_in_through_the_desk_and_posts_with_an_image(
    live: Site, tmp_path: Path
) -> None:
    """`toot login` prints a URL and waits for the code the desk shows (out of band)."""
    config_home = tmp_path / "toot-config"
    base = live.instance.base_url
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "toot", "login", "--instance", base,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "XDG_CONFIG_HOME": str(config_home), "NO_COLOR": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdin is not None
    url = ""
    while not url:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        assert line, "toot ended before printing the login URL"
        if line.startswith(base):
            url = line.strip()
    answer = await consent(live.instance, url)
    process.stdin.write(f"n\n{answer['code'][0]}\n".encode())
    await process.stdin.drain()
    said, complained = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, said.decode() + complained.decode()
    assert "Successfully logged in" in said.decode()

    picture = tmp_path / "picket.jpg"
    picture.write_bytes(photo())
    code, out, err = await toot(
        config_home, "post", "Picket line, day five #solidarity", "--media", str(picture),
        "--description", "Workers holding a banner", "--spoiler-text", "Strike photo",
        "--language", "en", "--json",
    )  # fmt: skip

    assert code == 0, out + err
    async with live.instance.svc.db.reader() as session:
        post = await session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
        assert post is not None
        alts = list(
            await session.scalars(select(Attachment.alt_text).where(Attachment.post_id == post.id))
        )
    assert post.source == "Picket line, day five #solidarity"
    assert post.summary == "Strike photo"
    assert post.actor_id == live.union.id
    assert alts == ["Workers holding a banner"]
    code, out, err = await toot(config_home, "whoami")
    assert code == 0, out + err
    assert "oil_workers" in out


async def test_what_an_app_reads_and_keeps_through_mastodon_py(live: Site) -> None:
    """The rest of what apps call on start and while reading: each answers in Mastodon's shape."""
    m = await client_for(live.instance)
    media = await call(lambda: m.media_post(photo(), mime_type="image/jpeg", description="one"))
    described = await call(lambda: m.media_update(media["id"], description="a clearer one"))
    posted = await call(
        lambda: m.status_post("Hello #solidarity", media_ids=[media], visibility="public")
    )
    reply = await call(lambda: m.status_post("And more", in_reply_to_id=posted["id"]))

    assert described["description"] == "a clearer one"
    assert (await call(m.app_verify_credentials))["name"] == "Hambastegi test app"
    assert (await call(m.instance_v2))["domain"] == live.instance.host
    assert "posting:default:visibility" in await call(m.preferences)
    assert await call(m.custom_emojis) == []
    found = await call(lambda: m.account_lookup("oil_workers"))
    assert found["acct"] == "oil_workers"
    own = await call(lambda: m.account_statuses(found["id"], limit=5))
    assert [s["id"] for s in own][:2] == [reply["id"], posted["id"]]
    home = await call(lambda: m.timeline_home(limit=5))
    assert reply["id"] in [s["id"] for s in home]
    local = await call(lambda: m.timeline_local(limit=40))
    assert posted["id"] in [s["id"] for s in local]
    tagged = await call(lambda: m.timeline_hashtag("solidarity"))
    assert [s["id"] for s in tagged] == [posted["id"]]
    context = await call(lambda: m.status_context(posted["id"]))
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    assert (await call(lambda: m.status_source(posted["id"])))["text"] == "Hello #solidarity"
    await call(lambda: m.markers_set(["home"], [reply["id"]]))
    markers = await call(lambda: m.markers_get(["home"]))
    assert markers["home"]["last_read_id"] == reply["id"]
    assert await call(m.follow_requests) == []
    when = live.instance.svc.clock.now() + timedelta(days=1)
    later = await call(lambda: m.status_post("tomorrow", scheduled_at=when))
    moved = await call(
        lambda: m.scheduled_status_update(later["id"], scheduled_at=when + timedelta(hours=1))
    )
    assert moved["scheduled_at"] != later["scheduled_at"]
    await call(lambda: m.scheduled_status_delete(later["id"]))
    assert await call(m.scheduled_statuses) == []
