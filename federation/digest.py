"""Body digests: `Digest` (RFC 3230, as Mastodon sends it) and `Content-Digest` (RFC 9530)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from http_sfv.dictionary import Dictionary

from federation.errors import SignatureError


def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii") + ":"


def verify_digest(header: str, body: bytes) -> None:
    """Check a `Digest` header against the body. Only SHA-256 is accepted (as Mastodon does)."""
    offered: dict[str, str] = {}
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            offered[name.strip().lower()] = value.strip()
    encoded = offered.get("sha-256")
    if encoded is None:
        raise SignatureError("Digest must offer SHA-256")
    try:
        expected = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise SignatureError("Digest is not valid base64") from exc
    if len(expected) != 32:
        raise SignatureError("Digest has the wrong length for SHA-256")
    if not hmac.compare_digest(expected, hashlib.sha256(body).digest()):
        raise SignatureError("Digest does not match the body")


def verify_content_digest(header: str, body: bytes) -> None:
    """Check an RFC 9530 `Content-Digest` dictionary; sha-256 or sha-512 must match."""
    field = Dictionary()
    try:
        field.parse(header.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError("Content-Digest is not a structured dictionary") from exc
    algorithms = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
    checked = False
    for name, member in field.items():
        hasher = algorithms.get(str(name))
        if hasher is None:
            continue
        value = member.value
        if not isinstance(value, bytes):
            raise SignatureError("Content-Digest value is not a byte sequence")
        if not hmac.compare_digest(value, hasher(body).digest()):
            raise SignatureError("Content-Digest does not match the body")
        checked = True
    if not checked:
        raise SignatureError("Content-Digest must offer sha-256 or sha-512")
