"""A bulletin as PDF, per language edition: it opens, its Persian text is there and shaped
(letters joined, as the pages rendered to pixels show), it has no navigation or forms, and
making it fetches nothing from the network. Pages print without navigation too."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops

from content.mediastore import MediaStore
from content.pdf import render_pdf
from core.paths import static_dir
from outbox.compose import Draft
from outbox.kinds import PRINTABLE_KINDS, PostKind
from outbox.models import Visibility
from outbox.posts import create_post
from tests.browser.conftest import screenshot_path
from tests.integration.site_support import Site, site
from web.printing import PdfPrinter

pytestmark = pytest.mark.db

TITLE = "خبرنامهٔ کارگران نفت"


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def first_page_image(data: bytes) -> Image.Image:
    document = pdfium.PdfDocument(data)
    image: Image.Image = document[0].render(scale=2).to_pil().convert("L")
    return image


async def persian_bulletin(s: Site) -> str:
    post = await create_post(
        s.instance.svc,
        s.union,
        Draft(
            kind=PostKind.article,
            language="fa",
            title=TITLE,
            body="کارگران پیمانی پالایشگاه برای دستمزد عادلانه دست از کار کشیدند.",
        ),
    )
    return post.public_id


async def test_a_persian_bulletin_prints_as_a_pdf_with_its_text_and_no_navigation(
    s: Site,
) -> None:
    public_id = await persian_bulletin(s)

    response = await s.http.get(f"/objects/{public_id}/pdf", headers={"Accept-Language": "fa"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "کارگران" in text
    assert "دست از کار کشیدند" in text
    assert f"/objects/{public_id}" in text  # where the original is
    assert "جستجو" not in text  # the site's navigation (Search) is not printed
    first_page_image(response.content).save(screenshot_path("bulletin-persian-pdf"))
    page = await s.http.get(f"/objects/{public_id}", headers={"Accept-Language": "en"})
    assert f'href="{s.instance.svc.uris.object(public_id)}/pdf"' in page.text


def test_persian_letters_are_joined_in_the_pdf() -> None:
    """The same word with its letters kept apart (zero-width non-joiners) must look different:
    if shaping were missing, both would be the same row of isolated letters (or boxes)."""
    media = MediaStore(Path("/nonexistent"))
    base = "http://127.0.0.1:9"

    def render(word: str) -> Image.Image:
        html = (
            '<html lang="fa" dir="rtl"><head><link rel="stylesheet" href="/static/site.css">'
            f"</head><body><h1>{word}</h1></body></html>"
        )
        return first_page_image(
            render_pdf(html, base_url=base, static_dir=static_dir(), media=media)
        )

    joined = render("کارگران همبستگی")
    apart = render("\u200c".join("کارگران") + " " + "\u200c".join("همبستگی"))

    assert ImageChops.difference(joined, apart).getbbox() is not None
    assert ImageChops.invert(joined).getbbox() is not None  # there is ink on the page
    joined.save(screenshot_path("pdf-shaping-joined"))
    apart.save(screenshot_path("pdf-shaping-apart"))


async def test_making_a_pdf_fetches_nothing_from_the_network() -> None:
    hits: list[bytes] = []

    async def canary(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(await reader.read(200))
        writer.close()

    server = await asyncio.start_server(canary, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    html = (
        f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/evil.css"></head>'
        f'<body><img src="http://127.0.0.1:{port}/tracker.png"><p>text</p></body></html>'
    )
    try:
        pdf = await asyncio.to_thread(
            render_pdf,
            html,
            base_url="http://127.0.0.1:8700",
            static_dir=static_dir(),
            media=MediaStore(Path("/nonexistent")),
        )
        await asyncio.sleep(0.2)
    finally:
        server.close()
        await server.wait_closed()

    assert pdf.startswith(b"%PDF-")
    assert hits == []


async def test_only_public_published_posts_print(s: Site) -> None:
    hidden = await create_post(
        s.instance.svc,
        s.union,
        Draft(
            kind=PostKind.article,
            language="en",
            title="Internal",
            body="followers only",
            visibility=Visibility.followers,
        ),
    )

    assert (await s.http.get(f"/objects/{hidden.public_id}/pdf")).status_code == 404
    assert (await s.http.get("/objects/01HNOSUCHPOST0000000000000/pdf")).status_code == 404


async def test_a_pdf_is_offered_exactly_where_it_is_served(s: Site) -> None:
    # Bulletins, strike reports, campaigns and events are offered (and mirrored) as PDFs; a
    # short note is not: its page links none, and its address has none.
    note = await create_post(
        s.instance.svc, s.union, Draft(kind=PostKind.note, language="fa", body="اعتصاب ادامه دارد")
    )

    for post in [note, *s.posts.values()]:
        page = await s.http.get(post.uri, headers={"Accept": "text/html"})
        offered = f'href="{post.uri}/pdf"' in page.text
        served = (await s.http.head(f"{post.uri}/pdf")).status_code == 200
        assert offered == served == (post.kind in PRINTABLE_KINDS), post.kind


async def test_a_pdf_is_made_once_per_version_and_language(s: Site) -> None:
    public_id = await persian_bulletin(s)

    first = await s.http.get(f"/objects/{public_id}/pdf", headers={"Accept-Language": "fa"})
    again = await s.http.get(f"/objects/{public_id}/pdf", headers={"Accept-Language": "fa"})
    english = await s.http.get(f"/objects/{public_id}/pdf", headers={"Accept-Language": "en"})

    assert first.content == again.content
    cached = list((s.instance.svc.settings.data_dir / "pdf").glob("*.pdf"))
    assert len(cached) == 2  # Persian and English interface
    assert english.status_code == 200


async def test_pdfs_are_made_in_a_worker_process_and_survive_its_death() -> None:
    """The layout runs in another process; if that process dies, the PDF is still made (here,
    once) and the next one starts a new worker."""
    printer = PdfPrinter(processes=1)
    html = "<html><body><p>کارگران نفت</p></body></html>"
    base, media = "http://127.0.0.1:8700", Path("/nonexistent")
    try:
        first = await printer.render(html, base_url=base, media_dir=media)
        assert printer._pool is not None
        workers = list(printer._pool._processes.values())
        assert workers
        assert os.getpid() not in [w.pid for w in workers]
        for worker in workers:
            worker.kill()
            worker.join()
        second = await printer.render(html, base_url=base, media_dir=media)
        third = await printer.render(html, base_url=base, media_dir=media)
    finally:
        printer.close()

    assert first.startswith(b"%PDF-")
    assert second.startswith(b"%PDF-")
    assert third.startswith(b"%PDF-")
