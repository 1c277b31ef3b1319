"""A PDF of a post (a bulletin, and each language edition of it): the post's own page in print
media, made by WeasyPrint. Pango and HarfBuzz shape Persian and Arabic; the page's print
stylesheet drops navigation and forms. Images and the stylesheet come from our own files only:
making a PDF never fetches anything from the network.

PDFs are cached on disk per post version and interface language; they are made in worker
processes (`content.pdf`, the light module those processes import)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from content.mediastore import MediaStore
from content.pdf import PdfUnavailable, render_pdf
from core.paths import static_dir
from outbox.kinds import PRINTABLE_KINDS
from outbox.models import Post, PostState, Visibility
from runtime.services import services
from web.pages import not_found, pages, post_page

log = logging.getLogger(__name__)


@dataclass
class PdfPrinter:
    """This instance's PDF maker: pages are laid out in worker processes (spawned on the first
    PDF, `HAMBASTEGI_PDF_PROCESSES` of them), so a layout never holds the web process's
    interpreter while it answers other requests; each process makes one PDF at a time."""

    processes: int = 1
    _pool: ProcessPoolExecutor | None = None
    _turn: asyncio.Semaphore | None = None

    async def render(self, html: str, *, base_url: str, media_dir: Path) -> bytes:
        if self._pool is None or self._turn is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn")
            )
            self._turn = asyncio.Semaphore(self.processes)
        job = partial(
            render_pdf,
            html,
            base_url=base_url,
            static_dir=static_dir(),
            media=MediaStore(media_dir),
        )
        async with self._turn:
            try:
                return await asyncio.get_running_loop().run_in_executor(self._pool, job)
            except BrokenProcessPool:
                # A worker died (out of memory, or a program that starts us without a
                # `__main__` guard): make this one here, and start afresh next time.
                log.warning("the PDF worker process stopped; making this PDF in-process")
                self.close()
                return await asyncio.to_thread(job)

    def close(self) -> None:
        """Stop the worker processes (the instance is shutting down)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


async def post_pdf(request: Request) -> Response:
    svc = services(request)
    public_id = request.path_params["object_id"]
    async with svc.db.reader() as session:
        post = await session.scalar(select(Post).where(Post.public_id == public_id))
    if (
        post is None
        or post.state != PostState.published
        or post.visibility == Visibility.followers
        or post.kind not in PRINTABLE_KINDS
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
    printer.processes = svc.settings.pdf_processes
    try:
        pdf = await printer.render(
            bytes(page.body).decode(),
            base_url=svc.settings.base_url,
            media_dir=svc.settings.media_dir,
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
