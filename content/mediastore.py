"""Files we serve from our media path, stored under the data dir and named by their content hash."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

_NAME_RE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp)$")
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, data: bytes, extension: str) -> str:
        """Store bytes atomically; return the file name (the same bytes give the same name)."""
        if extension not in MEDIA_TYPES:
            raise ValueError(f"unsupported media extension {extension}")
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
        path = self.root / name
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(data)
            tmp.replace(path)
        return name

    def path_of(self, name: str) -> Path | None:
        """The file for a served name, or None for anything that is not one of ours."""
        if not _NAME_RE.match(name):
            return None
        path = self.root / name
        return path if path.is_file() else None

    @staticmethod
    def media_type(name: str) -> str:
        return MEDIA_TYPES[name.rsplit(".", 1)[1]]
