"""Editors stay inside their organisation: ids taken from the address bar or a form never show or
use another organisation's scheduled or followers-only posts, and a translation is always of
the organisation's own post (desk, and the use-case the CLI shares)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outbox.compose import Draft, PostError
from outbox.kinds import PostKind
from outbox.models import Post, Visibility
from outbox.posts import create_post
from tests.integration.site_support import Site, csrf, log_in, site


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


async def teachers_post(s: Site, body: str, **fields: object) -> Post:
    return await create_post(
        s.instance.svc,
        s.teachers,
        Draft(kind=PostKind.note, language="ar", body=body, **fields),  # type: ignore[arg-type]
    )


async def hidden_posts(s: Site) -> dict[str, Post]:
    later = s.instance.svc.clock.now() + timedelta(days=3)
    return {
        "scheduled": await teachers_post(s, "SECRET-SCHEDULED", publish_at=later),
        "followers-only": await teachers_post(
            s, "SECRET-FOLLOWERS", visibility=Visibility.followers
        ),
    }


async def posts(s: Site) -> int:
    async with s.instance.svc.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Post)) or 0)


@pytest.mark.parametrize("which", ["scheduled", "followers-only"])
@pytest.mark.parametrize("param", ["translation_of", "reply_to"])
async def test_another_organisations_hidden_post_is_never_shown_in_compose(
    s: Site, which: str, param: str
) -> None:
    post = (await hidden_posts(s))[which]
    await log_in(s, "editor")

    page = await s.http.get(f"/desk/compose?{param}={post.public_id}")

    assert page.status_code == 403
    assert "SECRET" not in page.text


async def test_another_organisations_public_post_cannot_be_translated(s: Site) -> None:
    article = s.posts["article"]  # the teachers' public bulletin
    await log_in(s, "editor")
    before = await posts(s)

    shown = await s.http.get(f"/desk/compose?translation_of={article.public_id}")
    token = await csrf(s, "/desk/compose")
    sent = await s.http.post(
        "/desk/compose",
        data={
            "csrf": token,
            "action": "publish",
            "actor": "oil_workers",
            "kind": "article",
            "title": "Hijacked",
            "language": "en",
            "body": "Not ours to translate",
            "translation_of": article.public_id,
        },
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )

    assert shown.status_code == 403
    assert sent.status_code == 403
    assert await posts(s) == before
    page = (await s.http.get(f"/objects/{article.public_id}")).text
    assert "Hijacked" not in page


async def test_another_organisations_public_post_can_be_answered(s: Site) -> None:
    await log_in(s, "editor")

    page = await s.http.get(f"/desk/compose?reply_to={s.posts['article'].public_id}")

    assert page.status_code == 200


async def test_an_organisation_translates_its_own_post(s: Site) -> None:
    await log_in(s, "editor")

    page = await s.http.get(f"/desk/compose?translation_of={s.posts['strike'].public_id}")

    assert page.status_code == 200


@pytest.mark.parametrize("which", ["scheduled", "followers-only"])
async def test_the_use_case_the_cli_shares_refuses_the_same(s: Site, which: str) -> None:
    post = (await hidden_posts(s))[which]
    svc = s.instance.svc

    with pytest.raises(PostError, match="no post"):
        await create_post(
            svc, s.union, Draft(kind=PostKind.note, language="en", body="x", in_reply_to=post.uri)
        )
    with pytest.raises(PostError, match="no post"):
        await create_post(
            svc,
            s.union,
            Draft(kind=PostKind.note, language="en", body="x", translation_of=post.public_id),
        )
    with pytest.raises(PostError, match="no post"):
        await create_post(
            svc,
            s.union,
            Draft(
                kind=PostKind.article,
                language="en",
                title="t",
                body="x",
                translation_of=s.posts["article"].public_id,
            ),
        )
