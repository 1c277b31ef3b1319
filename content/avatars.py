"""Default avatars: a symmetric 5x5 pattern derived from the actor's name (no text, no fonts)."""

from __future__ import annotations

import colorsys
import hashlib
import io

SIZE = 400
_CELL = SIZE // 5


def identicon_png(seed: str) -> bytes:
    from PIL import Image, ImageDraw  # noqa: PLC0415  (loaded when an actor is created)

    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    hue = digest[0] / 255
    r, g, b = (int(c * 255) for c in colorsys.hls_to_rgb(hue, 0.45, 0.55))
    image = Image.new("RGB", (SIZE, SIZE), (244, 241, 236))
    draw = ImageDraw.Draw(image)
    bits = int.from_bytes(digest[1:5], "big")
    for row in range(5):
        for col in range(3):
            if bits >> (row * 3 + col) & 1:
                for x in {col, 4 - col}:
                    draw.rectangle(
                        (x * _CELL, row * _CELL, (x + 1) * _CELL - 1, (row + 1) * _CELL - 1),
                        fill=(r, g, b),
                    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
