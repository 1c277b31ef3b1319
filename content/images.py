"""Uploaded images: JPEG, PNG or WebP only; size and pixel count checked from the header before
anything is decoded; re-encoded from raw pixels, so no metadata (EXIF, GPS, XMP, IPTC, ICC,
comments, text chunks) can survive. Orientation from EXIF is applied first, then dropped."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

MAX_BYTES = 16 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}


class ImageRejected(ValueError):
    """Not an image we accept; the message says why (for a 400 or a CLI error)."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    extension: str
    media_type: str
    width: int
    height: int


def _too_large(width: int | None = None, height: int | None = None) -> str:
    size = f"{width}×{height}; " if width and height else ""
    return (
        f"the image is too large ({size}the limit is {MAX_SIDE} pixels a side and "
        f"{MAX_PIXELS // 1_000_000} megapixels)"
    )


def _open(data: bytes) -> Image.Image:
    """Read only the header: format and dimensions are checked before any pixel is decoded."""
    # Pillow is loaded on the first upload, not at start (a few MB resident in every process).
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    if not data:
        raise ImageRejected("the image file is empty")
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"the image is larger than {MAX_BYTES // (1024 * 1024)} MB")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(_too_large()) from exc
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise ImageRejected(
                "not a JPEG, PNG or WebP image (or one we cannot safely read)"
            ) from exc
    width, height = image.size
    if min(width, height) <= 0 or max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageRejected(_too_large(width, height))
    return image


def clean_image(data: bytes) -> CleanImage:
    from PIL import Image, ImageOps  # noqa: PLC0415

    image = _open(data)
    file_format = image.format or ""
    try:
        image.load()
        oriented = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageRejected("the image is damaged or truncated") from exc
    extension, media_type = FORMATS[file_format]
    has_alpha = "A" in oriented.getbands() or "transparency" in oriented.info
    mode = (
        oriented.mode
        if oriented.mode in {"RGB", "RGBA", "L", "LA"}
        else ("RGBA" if has_alpha else "RGB")
    )
    pixels = oriented.convert(mode)
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())  # pixels only, no info
    out = io.BytesIO()
    if file_format == "JPEG":
        bare.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    elif file_format == "PNG":
        bare.save(out, format="PNG", optimize=True)
    else:
        bare.save(out, format="WEBP", quality=88)
    return CleanImage(out.getvalue(), extension, media_type, bare.width, bare.height)
