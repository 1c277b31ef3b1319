"""draft-cavage HTTP Signatures (the form Mastodon signs and requires), signing and verifying.

Verification follows Mastodon's `SignedRequest`: `rsa-sha256` or `hs2019` (the default when
`algorithm` is absent); `(created)`/`(expires)` only with hs2019; the request must sign
`(request-target)`, `host`, `date` or `(created)`, and `digest` on POST; the time window is
created <= now + 1 h and now <= expires + 1 h, with expires defaulting to created + 5 min.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import NamedTuple, cast
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from federation.digest import digest_header, verify_digest
from federation.errors import SignatureError
from federation.keys import SigningKey

SUPPORTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
CLOCK_SKEW = timedelta(hours=1)
DEFAULT_EXPIRY = timedelta(minutes=5)
MAX_EXPIRY = timedelta(hours=12)
MAX_HEADER_LENGTH = 8192
# One parameter: name="quoted" or name=number, then a comma or the end; the header must be a
# contiguous run of them.
_PARAM_RE = re.compile(r'\s*([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([0-9.]+))\s*(?:,|$)')
_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_MONTHS = {
    m: n
    for n, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


class SignatureParams(NamedTuple):
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


@dataclass(frozen=True)
class RequestParts:
    """What verification needs from an incoming request."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def parse_signature_header(value: str) -> SignatureParams:
    """Parse a `Signature` header; raise `SignatureError` on anything malformed."""
    if len(value) > MAX_HEADER_LENGTH:
        raise SignatureError("Signature header too long")
    text = value.strip()
    params = _canonical_params(text)
    if params is None:
        params = _general_params(text)
    key_id = params.get("keyid")
    raw_signature = params.get("signature")
    if not key_id or not raw_signature:
        raise SignatureError("Signature header needs keyId and signature")
    try:
        signature = binascii.a2b_base64(raw_signature, strict_mode=True)
    except (ValueError, binascii.Error) as exc:
        raise SignatureError("signature is not valid base64") from exc
    algorithm = params.get("algorithm", "hs2019").lower()
    headers = tuple(params.get("headers", "date").lower().split())
    if not headers:
        raise SignatureError("Signature header lists no headers")
    created = params.get("created")
    expires = params.get("expires")
    return SignatureParams(
        key_id,
        algorithm,
        headers,
        signature,
        None if created is None else _parse_int("created", created),
        None if expires is None else _parse_int("expires", expires),
    )


def _canonical_params(text: str) -> dict[str, str] | None:
    """The form every server sends (`name="value",name="value"`), parsed with string methods;
    None for anything else (spaces, bare numbers), which the general parser then reads."""
    items = text.split('",')
    if not items[-1].endswith('"'):
        return None
    items[-1] = items[-1][:-1]
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition('="')
        if not sep or not name.isascii() or not name.isalpha() or '"' in value:
            return None
        name = name.lower()
        if name in params:
            raise SignatureError(f"Signature parameter {name} given twice")
        params[name] = value
    return params


def _general_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    pos = 0
    for match in _PARAM_RE.finditer(text):
        if match.start() != pos:
            break
        name = match[1].lower()
        if name in params:
            raise SignatureError(f"Signature parameter {name} given twice")
        params[name] = match[2] if match[2] is not None else match[3]
        pos = match.end()
    if pos != len(text):
        raise SignatureError("malformed Signature header")
    return params


def _parse_int(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except (ValueError, OverflowError) as exc:
        raise SignatureError(f"({name}) is not a number") from exc


MAX_TIMESTAMP = 2**37  # about the year 6325: anything later is no signature time


def signature_time(value: int, now: datetime, name: str = "created") -> datetime:
    """A Unix time from a signature as a datetime; `SignatureError` when it is out of range
    (a huge or negative number must be refused, never crash the check)."""
    if not 0 <= value <= MAX_TIMESTAMP:
        raise SignatureError(f"{name} is out of range")
    try:
        return datetime.fromtimestamp(value, tz=now.tzinfo)
    except (OverflowError, OSError, ValueError) as exc:
        raise SignatureError(f"{name} is out of range") from exc


def signing_string(params: SignatureParams, parts: RequestParts, *, with_query: bool = True) -> str:
    lines = []
    for name in params.headers:
        if name == "(request-target)":
            target = parts.path + (f"?{parts.query}" if parts.query and with_query else "")
            lines.append(f"(request-target): {parts.method.lower()} {target}")
        elif name == "(created)":
            if params.created is None:
                raise SignatureError("(created) is signed but not given")
            lines.append(f"(created): {params.created}")
        elif name == "(expires)":
            if params.expires is None:
                raise SignatureError("(expires) is signed but not given")
            lines.append(f"(expires): {params.expires}")
        else:
            header = parts.headers.get(name)
            if header is None:
                raise SignatureError(f"signed header {name} is missing from the request")
            lines.append(f"{name}: {header.strip()}")
    return "\n".join(lines)


def check_strength(params: SignatureParams, parts: RequestParts, *, our_host: str) -> None:
    """The rules that make a valid signature also a sufficient one (before any key lookup)."""
    if params.algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {params.algorithm}")
    signed = set(params.headers)
    if ("(created)" in signed or "(expires)" in signed) and params.algorithm != "hs2019":
        raise SignatureError("(created) and (expires) are only allowed with hs2019")
    if "(request-target)" not in signed:
        raise SignatureError("(request-target) must be signed")
    if "date" not in signed and "(created)" not in signed:
        raise SignatureError("date or (created) must be signed")
    if "host" not in signed:
        raise SignatureError("host must be signed")
    host = parts.headers.get("host", "").strip().lower()
    if host != our_host:
        raise SignatureError(f"signed host {host!r} is not ours")
    if parts.method.upper() == "POST":
        if "digest" not in signed:
            raise SignatureError("digest must be signed on POST")
        digest = parts.headers.get("digest")
        if digest is None:
            raise SignatureError("Digest header is missing")
        verify_digest(digest, parts.body)


def check_time_window(params: SignatureParams, parts: RequestParts, now: datetime) -> None:
    created: datetime | None = None
    if params.created is not None:
        created = signature_time(params.created, now)
    elif "date" in params.headers:
        created = parse_http_date(parts.headers.get("date", ""))
    if created is None:
        raise SignatureError("no signature creation time")
    check_validity(created, params.expires, now)


def check_validity(created: datetime, expires_at: int | None, now: datetime) -> None:
    """Both signature forms: created no later than `now` and not expired, allowing
    `CLOCK_SKEW` each way; a signature without `expires` is good for `DEFAULT_EXPIRY`, and
    none for longer than `MAX_EXPIRY`."""
    expires = (
        signature_time(expires_at, now, "expires")
        if expires_at is not None
        else created + DEFAULT_EXPIRY
    )
    expires = min(expires, created + MAX_EXPIRY)
    if created > now + CLOCK_SKEW:
        raise SignatureError("signature created in the future")
    if now > expires + CLOCK_SKEW:
        raise SignatureError("signature expired")


def parse_http_date(raw: str) -> datetime:
    """An HTTP date; the IMF-fixdate form every server sends is parsed directly (the general
    parser costs as much as the rest of a signature check)."""
    fields = raw.split()
    if len(fields) == 6 and fields[5] == "GMT" and fields[2] in _MONTHS:
        try:
            hour, minute, second = (int(v) for v in fields[4].split(":"))
            return datetime(
                int(fields[3]), _MONTHS[fields[2]], int(fields[1]), hour, minute, second, tzinfo=UTC
            )
        except ValueError:
            pass
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError) as exc:
        raise SignatureError("Date header is not a valid HTTP date") from exc
    if parsed.tzinfo is None:
        raise SignatureError("Date header has no time zone")
    return parsed


def verify_with_key(params: SignatureParams, parts: RequestParts, key: PublicKeyTypes) -> None:
    """Verify the signature bytes; tries the target with and then without the query string."""
    candidates = [signing_string(params, parts)]
    if parts.query:
        candidates.append(signing_string(params, parts, with_query=False))
    for text in candidates:
        if verify_bytes(key, params.signature, text.encode("utf-8")):
            return
    raise SignatureError("signature does not verify")


def verify_bytes(key: PublicKeyTypes, signature: bytes, message: bytes) -> bool:
    kind = key_kind(type(key))
    try:
        if kind == "rsa":
            cast(rsa.RSAPublicKey, key).verify(signature, message, _PKCS1, _SHA256)
        elif kind == "ed25519":
            cast(ed25519.Ed25519PublicKey, key).verify(signature, message)
        else:
            raise SignatureError("unsupported key type")
    except InvalidSignature:
        return False
    return True


@functools.cache
def key_kind(key_class: type) -> str:
    """Which algorithm a key's class is for, asked once per class (the abstract classes'
    isinstance costs as much as parsing the header)."""
    if issubclass(key_class, rsa.RSAPublicKey):
        return "rsa"
    if issubclass(key_class, ed25519.Ed25519PublicKey):
        return "ed25519"
    return ""


def sign_request(
    key: SigningKey, method: str, url: str, body: bytes | None, now: datetime
) -> dict[str, str]:
    """Headers to add to an outgoing request: Date, Host, Digest (with a body) and Signature."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"host": parts.netloc.lower(), "date": format_datetime(now, usegmt=True)}
    names = ["(request-target)", "host", "date"]
    if body is not None:
        headers["digest"] = digest_header(body)
        names.append("digest")
    lines = [f"(request-target): {method.lower()} {target}"]
    lines += [f"{name}: {headers[name]}" for name in names[1:]]
    signature = key.private_key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key.key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return headers
