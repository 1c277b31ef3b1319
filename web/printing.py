"""A PDF of a post (a bulletin, and each language edition of it): the post's own page in print
media, made by WeasyPrint. Pango and HarfBuzz shape Persian and Arabic; the page's print
stylesheet drops navigation and forms. Images and the stylesheet come from our own files only:
making a PDF never fetches anything from the network.

PDFs are cached on disk per post version and interface language; one is made at a time."""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from content.mediastore import MediaStore
from core.paths import static_dir
from outbox.kinds import PostKind
from outbox.models import Post, PostState, Visibility
from runtime.services import services
from web.pages import not_found, pages, post_page

PRINTABLE = {PostKind.article, PostKind.strike, PostKind.campaign, PostKind.event, PostKind.note}


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it needs) is not installed on this server."""


@dataclass
class PdfPrinter:
    """This instance's PDF maker: one rendering at a time (it takes a core for a moment)."""

    turn: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))


def _fetcher(static_dir: Path, media: MediaStore, base_url: str) -> Any:
    """A WeasyPrint URL fetcher that serves our stylesheet and media files and nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - optional

    class OwnFilesOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            path = url.removeprefix(base_url) if url.startswith(base_url + "/") else ""
            if path.startswith("/static/"):
                name = path.removeprefix("/static/")
                file = static_dir / name
                if "/" not in name and name.endswith(".css") and file.is_file():
                    return URLFetcherResponse(url, file.read_bytes(), {"Content-Type": "text/css"})
            elif path.startswith("/media/"):
                name = path.removeprefix("/media/")
                found = media.path_of(name)
                if found is not None:
                    return URLFetcherResponse(
                        url, found.read_bytes(), {"Content-Type": media.media_type(name)}
                    )
            raise ValueError(f"not fetched while making a PDF: {url}")

    return OwnFilesOnly()


def render_pdf(html: str, *, base_url: str, static_dir: Path, media: MediaStore) -> bytes:
    """The page as PDF (print media). Raises PdfUnavailable without WeasyPrint and Pango."""
    try:
        from weasyprint import HTML  # noqa: PLC0415 - optional, and slow to import
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(str(exc)) from exc
    # Rules it cannot use (screen-only media queries, clip-path) are expected: not news.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    out = io.BytesIO()
    HTML(
        string=html,
        base_url=base_url + "/",
        url_fetcher=_fetcher(static_dir, media, base_url),
        media_type="print",
    ).write_pdf(out)
    return out.getvalue()


async def post_pdf(request: Request) -> Response:
    svc = services(request)
    public_id = request.path_params["object_id"]
    async with svc.db.reader() as session:
        post = await session.scalar(select(Post).where(Post.public_id == public_id))
    if (
        post is None
        or post.state != PostState.published
        or post.visibility == Visibility.followers
        or post.kind not in PRINTABLE
    ):
        return not_found(request)
    language = pages(request).language_of(request)
    version = (post.updated_at or post.published_at or post.created_at).isoformat()
    digest = hashlib.sha256(f"{public_id}|{version}|{language}".encode()).hexdigest()[:32]
    cache = svc.settings.data_dir / "pdf" / f"{digest}.pdf"
    headers = {
        "Content-Disposition": f'inline; filename="{public_id}-{post.language}.pdf"',
        "Cache-Control": "public, max-age=300",
    }
    if cache.is_file():
        return Response(cache.read_bytes(), media_type="application/pdf", headers=headers)
    page = await post_page(request)
    if page.status_code != 200:
        return page
    printer = svc.component(PdfPrinter)
    async with printer.turn:
        try:
            pdf = await asyncio.to_thread(
                render_pdf,
                bytes(page.body).decode(),
                base_url=svc.settings.base_url,
                static_dir=static_dir(),
                media=MediaStore(svc.settings.media_dir),
            )
        except PdfUnavailable:
            _ = pages(request).gettext(request)
            return pages(request).render(
                request,
                "error.html",
                {
                    "title": _("PDF not available"),
                    "message": _(
                        "This server cannot make PDFs (WeasyPrint and Pango are not "
                        "installed). Print the page from your browser instead."
                    ),
                },
                status_code=503,
            )
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(pdf)
    tmp.replace(cache)
    return Response(pdf, media_type="application/pdf", headers=headers)
