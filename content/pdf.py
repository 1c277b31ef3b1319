"""A web page as PDF (print media), by WeasyPrint: Pango and HarfBuzz shape Persian and Arabic.
Images and the stylesheet come from our own files only; nothing is fetched from the network.

Light on purpose: the PDF maker's worker process imports this module, and WeasyPrint only
when the first page is laid out."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from content.mediastore import MediaStore


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Pango library it needs) is not installed on this server."""


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
