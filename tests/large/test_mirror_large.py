"""The mirror at the size of real use (`make test-large`: minutes, so not in `make test`): the
large demo (`hambastegi demo --size large`, 5,000+ posts of every kind, with their PDFs) is
exported in one language, served by `python -m http.server` on loopback, and crawled from its
index: every internal link resolves. After one edit, a second export rewrites only the pages
that show the edited post, and a third rewrites nothing."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import func, select

from cli.demo_large import seed_large
from hambastegi.app import create_app
from hambastegi.mirror import Export, export
from outbox.compose import Draft
from outbox.kinds import PRINTABLE_KINDS, PostKind
from outbox.models import Post, PostState, Visibility
from outbox.posts import edit_post
from tests.harness import Instance, asgi_instance
from tests.integration.test_mirror import serve_and_crawl

pytestmark = [pytest.mark.large, pytest.mark.db]


async def make_mirror(instance: Instance, target: Path) -> tuple[Export, float]:
    started = time.perf_counter()
    done = await export(create_app(instance.settings), instance.settings, target, ["fa"])
    return done, time.perf_counter() - started


async def test_the_large_demos_mirror_serves_and_every_link_resolves(tmp_path: Path) -> None:
    async with asgi_instance(tmp_path, page_cache_seconds=0, pdf_processes=2) as instance:
        await seed_large(instance.svc)
        async with instance.svc.db.reader() as session:
            public = (
                select(func.count())
                .select_from(Post)
                .where(Post.state == PostState.published, Post.visibility == Visibility.public)
            )
            posts = await session.scalar(public) or 0
            printable = await session.scalar(public.where(Post.kind.in_(PRINTABLE_KINDS))) or 0
            edited = await session.scalar(
                select(Post)
                .where(Post.kind == PostKind.campaign, Post.state == PostState.published)
                .limit(1)
            )
        assert posts > 5000
        assert edited is not None
        target = tmp_path / "mirror"

        first, first_seconds = await make_mirror(instance, target)
        seen, broken = await serve_and_crawl(target)

        assert broken == []
        paths = {unquote(urlsplit(u).path) for u in seen}
        pages = [p for p in paths if p.startswith("/fa/objects/") and p.endswith("/index.html")]
        pdfs = [p for p in paths if p.endswith("/print.pdf")]
        assert len(pages) >= posts * 0.9, (len(pages), posts)
        assert len(pdfs) == printable  # every bulletin, strike report, campaign and event

        await edit_post(
            instance.svc,
            edited.public_id,
            Draft(
                kind=PostKind.campaign,
                body="A new update on the campaign.",
                language=edited.language,
                title=edited.title,
                details=edited.details,
            ),
        )
        second, second_seconds = await make_mirror(instance, target)
        third, _ = await make_mirror(instance, target)

        print(f"\nrewritten after the edit: {second.changed}\nthen with no edit: {third.changed}")
        assert f"fa/objects/{edited.public_id}/index.html" in second.changed
        assert 0 < second.written < len(first.files) / 50
        # With no edit, no post's own page changes (nor a feed: one with no entries says when
        # its owner began, not when it was built).
        assert not [name for name in third.changed if "/objects/" in name]
        assert third.written <= 5
        assert (
            "A new update"
            in (target / "fa" / "objects" / edited.public_id / "index.html").read_text()
        )
        print(
            f"\nlarge mirror, fa: {len(first.files)} files ({len(pages)} post pages, "
            f"{len(pdfs)} PDFs) in {first_seconds:.0f} s; crawled {len(seen)}, 0 broken; "
            f"after one edit {second.written} rewritten in {second_seconds:.0f} s"
        )
