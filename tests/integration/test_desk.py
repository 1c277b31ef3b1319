"""The editors' desk: login and sessions, CSRF on every form, roles, and each task."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accounts.models import Session
from actors.models import DomainPolicy
from network.models import CurationItem
from outbox.models import OutboxActivity, Post
from tests.integration.site_support import PASSWORD, Site, csrf, log_in, site


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def post_count(s: Site) -> int:
    async with s.instance.svc.db.reader() as session:
        return await session.scalar(select(func.count()).select_from(Post)) or 0


async def test_the_desk_needs_a_login(s: Site) -> None:
    response = await s.http.get("/desk", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login?next=/desk"


async def test_a_good_login_sets_a_safe_session_cookie(s: Site) -> None:
    response = await log_in(s, "editor")

    cookie = response.headers["set-cookie"]
    assert response.status_code == 303
    assert "hb_session=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/desk" in cookie
    assert (await s.http.get("/desk")).status_code == 200


async def test_each_login_makes_a_new_session_so_an_old_cookie_cannot_be_fixed(s: Site) -> None:
    first = (await log_in(s, "editor")).cookies["hb_session"]
    s.http.cookies.clear()  # a second browser, or the same one after its cookie was copied
    second = (await log_in(s, "editor")).cookies["hb_session"]

    assert first != second
    async with s.instance.svc.db.reader() as session:
        stored = list(await session.scalars(select(Session.token_hash)))
    assert first not in stored  # only hashes are kept


async def test_a_wrong_password_is_refused(s: Site) -> None:
    response = await log_in(s, "editor", "wrong password!")

    assert response.status_code == 401
    assert "wrong name, password or code" in response.text
    assert "hb_session" not in response.headers.get("set-cookie", "")


async def test_repeated_failures_slow_the_guessing_client(s: Site) -> None:
    for _ in range(5):
        await log_in(s, "editor", "guessing...")

    response = await log_in(s, "editor", PASSWORD)

    assert response.status_code in (401, 429)
    assert "try again" in response.text.lower()


async def test_logging_out_ends_the_session(s: Site) -> None:
    await log_in(s, "editor")
    token = await csrf(s)

    await s.http.post("/desk/logout", data={"csrf": token}, headers={"Origin": s.instance.base_url})

    assert (await s.http.get("/desk", follow_redirects=False)).status_code == 303


async def test_a_form_without_its_csrf_token_changes_nothing(s: Site) -> None:
    await log_in(s, "editor")
    before = await post_count(s)

    forged = await s.http.post(
        "/desk/compose",
        data={
            "actor": "oil_workers",
            "kind": "note",
            "body": "x",
            "language": "fa",
            "action": "publish",
        },
    )

    assert forged.status_code == 403
    assert await post_count(s) == before


async def test_a_form_posted_from_another_site_changes_nothing(s: Site) -> None:
    await log_in(s, "editor")
    token = await csrf(s)
    before = await post_count(s)

    response = await s.http.post(
        "/desk/compose",
        data={
            "csrf": token,
            "actor": "oil_workers",
            "kind": "note",
            "body": "x",
            "language": "fa",
            "action": "publish",
        },
        headers={"Origin": "https://evil.example"},
    )

    assert response.status_code == 403
    assert await post_count(s) == before


async def compose(s: Site, **fields: str) -> object:
    token = await csrf(s, "/desk/compose")
    data = {"csrf": token, "action": "publish", "language": "fa", **fields}
    return await s.http.post(
        "/desk/compose", data=data, headers={"Origin": s.instance.base_url}, follow_redirects=False
    )


async def test_an_editor_publishes_a_strike_report(s: Site) -> None:
    await log_in(s, "editor")

    response = await compose(
        s,
        actor="oil_workers",
        kind="strike",
        body="روز دوم اعتصاب",
        d_country="IR",
        d_workplace="پتروشیمی",
        d_sector="petrochemicals",
        d_start_date="2026-06-01",
        d_status="ongoing",
        d_demands="دستمزد\nامنیت شغلی",
    )

    assert response.status_code == 303  # type: ignore[attr-defined]
    async with s.instance.svc.db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.kind == "strike").order_by(Post.id.desc())
        )
    assert post is not None
    assert post.details["demands"] == ["دستمزد", "امنیت شغلی"]
    assert response.headers["location"] == f"/desk/posts/{post.public_id}"  # type: ignore[attr-defined]


async def test_the_preview_shows_the_post_and_publishes_nothing(s: Site) -> None:
    await log_in(s, "editor")
    before = await post_count(s)

    response = await compose(
        s, actor="oil_workers", kind="note", body="پیش‌نویس #همبستگی", action="preview"
    )

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "همبستگی" in response.text  # type: ignore[attr-defined]
    assert await post_count(s) == before


async def test_a_refused_post_says_why_and_keeps_what_was_typed(s: Site) -> None:
    await log_in(s, "editor")

    response = await compose(
        s,
        actor="oil_workers",
        kind="strike",
        body="متن من",
        d_country="XX",
        d_workplace="w",
        d_sector="textiles",
        d_start_date="2026-01-01",
    )

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "country must be" in response.text  # type: ignore[attr-defined]
    assert "متن من" in response.text  # type: ignore[attr-defined]


async def test_an_editor_cannot_publish_or_edit_as_another_organisation(s: Site) -> None:
    await log_in(s, "editor")
    before = await post_count(s)

    as_other = await compose(s, actor="teachers", kind="note", body="x")
    edit_other = await s.http.get(f"/desk/posts/{s.posts['article'].public_id}/edit")

    assert as_other.status_code == 403  # type: ignore[attr-defined]
    assert edit_other.status_code == 403
    assert await post_count(s) == before


async def test_an_editor_edits_and_deletes_a_post(s: Site) -> None:
    await log_in(s, "editor")
    post = s.posts["campaign"]
    token = await csrf(s)

    edited = await s.http.post(
        f"/desk/posts/{post.public_id}/edit",
        data={
            "csrf": token,
            "language": "fa",
            "body": "خبر تازه: آزاد شد",
            "d_person": "کارگر زندانی",
            "d_country": "IR",
            "d_status": "released",
            "d_released_on": "2026-03-01",
        },
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )
    deleted = await s.http.post(
        f"/desk/posts/{post.public_id}/delete",
        data={"csrf": token, "confirm": "yes"},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )

    assert edited.status_code == 303
    assert deleted.status_code == 303
    async with s.instance.svc.db.reader() as session:
        row = await session.get(Post, post.id)
    assert row is not None
    assert row.details["status"] == "released"
    assert row.state == "deleted"


async def test_the_edit_form_starts_from_what_the_editor_wrote(s: Site) -> None:
    await log_in(s, "editor")
    await compose(s, actor="oil_workers", kind="note", body="**مهم**: تجمع فردا ساعت ۱۰")
    async with s.instance.svc.db.reader() as session:
        post = await session.scalar(select(Post).order_by(Post.id.desc()))
    assert post is not None

    form = await s.http.get(f"/desk/posts/{post.public_id}/edit")

    assert "**مهم**: تجمع فردا ساعت ۱۰</textarea>" in form.text


async def test_delivery_status_and_retry_now(s: Site) -> None:
    await log_in(s, "editor")
    page = await s.http.get(f"/desk/posts/{s.posts['strike'].public_id}")

    assert page.status_code == 200
    assert "No deliveries" in page.text


async def test_a_curator_approves_a_held_item(s: Site) -> None:
    async with s.instance.svc.db.reader() as session:
        item = await session.scalar(select(CurationItem).where(CurationItem.state == "pending"))
    assert item is not None
    await log_in(s, "curator")
    queue = await s.http.get("/desk/curation")
    token = await csrf(s, "/desk/curation")

    decided_page = await s.http.post(
        f"/desk/curation/{item.id}/approve",
        data={"csrf": token, "note": "checked"},
        headers={"Origin": s.instance.base_url},
        follow_redirects=True,
    )

    assert "held: this member" in queue.text
    assert "Approved: the network is boosting this post" in decided_page.text  # says what happened
    async with s.instance.svc.db.reader() as session:
        decided = await session.get(CurationItem, item.id)
    assert decided is not None
    assert (decided.state, decided.note, decided.decided_by) == ("boosted", "checked", "curator")


async def test_curators_read_why_an_item_was_held_in_their_language(s: Site) -> None:
    await log_in(s, "curator")

    queue = await s.http.get("/desk/curation", headers={"Accept-Language": "fa"})

    assert "نگه داشته شد: نوشته‌های این عضو را گزینشگر بررسی می‌کند" in queue.text
    assert "held: this member" not in queue.text


async def test_an_approved_boost_names_the_curator_role_and_note_on_the_public_page(
    s: Site,
) -> None:
    async with s.instance.svc.db.reader() as session:
        item = await session.scalar(select(CurationItem).where(CurationItem.state == "pending"))
    assert item is not None
    await log_in(s, "curator")
    token = await csrf(s, "/desk/curation")
    await s.http.post(
        f"/desk/curation/{item.id}/approve",
        data={"csrf": token, "note": "Confirmed with the union"},
        headers={"Origin": s.instance.base_url},
    )

    home = (await s.http.get("/", headers={"Accept-Language": "en"})).text

    assert "Boosted by the network: approved by a curator" in home
    assert "Confirmed with the union" in home
    assert "held: " not in home


@pytest.mark.parametrize(
    ("user", "path"),
    [("editor", "/desk/curation"), ("editor", "/desk/moderation"), ("curator", "/desk/moderation")],
)
async def test_roles_limit_what_each_user_may_open(s: Site, user: str, path: str) -> None:
    await log_in(s, user)

    assert (await s.http.get(path)).status_code == 403


async def test_an_admin_blocks_a_server_from_the_desk(s: Site) -> None:
    await log_in(s, "admin")
    token = await csrf(s, "/desk/moderation")

    await s.http.post(
        "/desk/moderation/domains",
        data={"csrf": token, "domain": "spam.example", "action": "block", "note": "spam"},
        headers={"Origin": s.instance.base_url},
    )

    async with s.instance.svc.db.reader() as session:
        [policy] = list(await session.scalars(select(DomainPolicy)))
    assert (policy.domain, policy.policy, policy.note) == ("spam.example", "block", "spam")
    assert "spam.example" in (await s.http.get("/desk/moderation")).text


async def test_delete_everywhere_asks_first_and_says_what_it_does(s: Site) -> None:
    await log_in(s, "editor")
    post = s.posts["strike"]
    token = await csrf(s)

    asked = await s.http.get(f"/desk/posts/{post.public_id}/delete")
    unconfirmed = await s.http.post(
        f"/desk/posts/{post.public_id}/delete",
        data={"csrf": token},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )
    async with s.instance.svc.db.reader() as session:
        kept = await session.get(Post, post.id)

    assert asked.status_code == 200
    assert "410" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert unconfirmed.status_code == 200  # asked again, nothing deleted
    assert kept is not None
    assert kept.state == "published"


async def test_approving_an_application_whose_account_cannot_be_found_says_so_in_the_desk(
    s: Site,
) -> None:
    from network.members import Application, MemberProfile, apply_to_join
    from network.models import JoinRequest, JoinState, Trust

    application = await apply_to_join(
        s.instance.svc,
        "solidarity",
        Application(
            organisation="Bus drivers",
            contact="drivers@example.org",
            profile=MemberProfile("IR", "transport", ("fa",), Trust.review),
            account="drivers@127.0.0.1:9",  # nothing answers there (loopback, a closed port)
        ),
    )
    await log_in(s, "curator")
    token = await csrf(s, "/desk/members")

    answer = await s.http.post(
        f"/desk/join/{application.id}/approve",
        data={"csrf": token, "trust": "review"},
        headers={"Origin": s.instance.base_url},
    )

    assert answer.status_code == 400
    assert "Members and applications" in answer.text  # still the desk, not an error page
    assert "could not be found" in answer.text
    assert "Errno" not in answer.text
    assert "Traceback" not in answer.text
    async with s.instance.svc.db.reader() as session:
        kept = await session.get(JoinRequest, application.id)
    assert kept is not None
    assert kept.state == JoinState.pending  # the application waits, nothing lost


async def test_a_monthly_meeting_is_set_up_and_changed_in_the_desk(s: Site) -> None:
    """The repeat rule, dates left out, a cancelled and a moved meeting, and the reminder, as
    an editor types them into the form; the page lists the meetings so; the edit form gives
    them back; a cancellation added later is sent as an Update."""
    await log_in(s, "editor")
    fields = {
        "actor": "oil_workers",
        "kind": "event",
        "language": "en",
        "title": "Monthly meeting",
        "body": "Reports from the workplaces.",
        "d_starts_at": "2099-01-06T18:00",
        "d_timezone": "Europe/Stockholm",
        "d_location": "Online",
        "d_recurrence": "FREQ=MONTHLY;BYDAY=1TU",
        "d_exceptions": "2099-02-03",
        "d_cancelled": "",
        "d_moved": "2099-03-03 | 2099-03-04T19:00",
        "d_reminder_hours": "24",
    }
    bad = await compose(s, **{**fields, "d_recurrence": "FREQ=SOMETIMES"})
    before = await post_count(s)
    made = await compose(s, **fields)

    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert "repeat rule" in bad.text  # type: ignore[attr-defined]
    assert made.status_code == 303  # type: ignore[attr-defined]
    assert await post_count(s) == before + 1
    async with s.instance.svc.db.reader() as session:
        post = await session.scalar(
            select(Post).where(Post.kind == "event").order_by(Post.id.desc())
        )
    assert post is not None
    assert post.details["recurrence"] == "FREQ=MONTHLY;BYDAY=1TU"
    assert post.details["exceptions"] == ["2099-02-03"]
    assert post.details["moved"] == {"2099-03-03": "2099-03-04T19:00"}
    assert post.details["reminder_hours"] == 24
    page = (await s.http.get(f"/objects/{post.public_id}", headers={"Accept-Language": "en"})).text
    listed = page.split('class="occurrences"', 1)[1].split("</ul>", 1)[0]
    assert "2099-01-06T18:00:00+01:00" in listed
    assert "2099-02-03" not in listed  # left out
    assert "2099-03-04T19:00:00+01:00" in listed  # moved
    assert "moved to this time" in listed
    form = (await s.http.get(f"/desk/posts/{post.public_id}/edit")).text
    assert "FREQ=MONTHLY;BYDAY=1TU" in form
    assert "2099-03-03 | 2099-03-04T19:00" in form

    token = await csrf(s, f"/desk/posts/{post.public_id}/edit")
    edited = await s.http.post(
        f"/desk/posts/{post.public_id}/edit",
        data={"csrf": token, **fields, "d_cancelled": "2099-04-07", "action": "publish"},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )

    assert edited.status_code == 303
    page = (await s.http.get(f"/objects/{post.public_id}", headers={"Accept-Language": "en"})).text
    listed = page.split('class="occurrences"', 1)[1].split("</ul>", 1)[0]
    assert 'class="cancelled"><time datetime="2099-04-07T18:00:00+02:00"' in listed
    async with s.instance.svc.db.reader() as session:
        updates = await session.scalar(
            select(func.count())
            .select_from(OutboxActivity)
            .where(OutboxActivity.type == "Update", OutboxActivity.object_uri == post.uri)
        )
    assert updates == 1
