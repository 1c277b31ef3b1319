"""RFC 9421 HTTP Message Signatures: verifying incoming requests (Mastodon 4.5's profile).

Exactly one signature; `created` required; `@method` and `@target-uri` signed, and on POST a
signed `Content-Digest` (RFC 9530) that matches the body; algorithm rsa-v1_5-sha256 (or absent,
with an RSA key) or ed25519.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList

from federation.digest import verify_content_digest
from federation.errors import SignatureError
from federation.signatures import (
    RequestParts,
    check_validity,
    key_kind,
    signature_time,
    verify_bytes,
)

SUPPORTED_ALGORITHMS = frozenset({"rsa-v1_5-sha256", "ed25519"})


@dataclass(frozen=True)
class MessageSignature:
    label: str
    key_id: str
    algorithm: str | None
    components: tuple[str, ...]
    created: int
    expires: int | None
    params_text: str  # the serialised signature parameters, as signed
    signature: bytes


def parse_message_signature(signature_input: str, signature: str) -> MessageSignature:
    inputs = Dictionary()
    values = Dictionary()
    try:
        inputs.parse(signature_input.encode("ascii"))
        values.parse(signature.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SignatureError("Signature-Input or Signature is not a structured dictionary") from exc
    if len(inputs) != 1:
        raise SignatureError("exactly one message signature is supported")
    label = next(iter(inputs.keys()))
    member = inputs[label]
    if not isinstance(member, InnerList):
        raise SignatureError("Signature-Input member is not an inner list")
    if label not in values:
        raise SignatureError(f"no Signature value for label {label}")
    raw = values[label].value
    if not isinstance(raw, bytes):
        raise SignatureError("Signature value is not a byte sequence")
    components = []
    for item in member:
        if not isinstance(item.value, str) or item.params:
            raise SignatureError("only plain component identifiers are supported")
        components.append(item.value.lower())
    params = member.params
    key_id = params.get("keyid")
    created = params.get("created")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("keyid parameter is required")
    if not isinstance(created, int) or isinstance(created, bool):
        raise SignatureError("created parameter is required")
    expires = params.get("expires")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise SignatureError("expires parameter must be an integer")
    algorithm = params.get("alg")
    if algorithm is not None and algorithm not in SUPPORTED_ALGORITHMS:
        raise SignatureError(f"unsupported algorithm {algorithm}")
    return MessageSignature(
        label=str(label),
        key_id=key_id,
        algorithm=algorithm if isinstance(algorithm, str) else None,
        components=tuple(components),
        created=created,
        expires=expires,
        params_text=str(member),
        signature=raw,
    )


def check_strength(sig: MessageSignature, parts: RequestParts, now: datetime) -> None:
    signed = set(sig.components)
    if "@method" not in signed or "@target-uri" not in signed:
        raise SignatureError("@method and @target-uri must be signed")
    if parts.method.upper() == "POST":
        if "content-digest" not in signed:
            raise SignatureError("content-digest must be signed on POST")
        header = parts.headers.get("content-digest")
        if header is None:
            raise SignatureError("Content-Digest header is missing")
        verify_content_digest(header, parts.body)
    check_validity(signature_time(sig.created, now), sig.expires, now)


def signature_base(
    sig: MessageSignature, parts: RequestParts, *, scheme: str, authority: str
) -> bytes:
    """The signature base (RFC 9421 §2.5) for a request received at scheme://authority."""
    lines = []
    query = f"?{parts.query}" if parts.query else ""
    for name in sig.components:
        if name == "@method":
            value = parts.method.upper()
        elif name == "@target-uri":
            value = f"{scheme}://{authority}{parts.path}{query}"
        elif name == "@authority":
            value = authority
        elif name == "@scheme":
            value = scheme
        elif name == "@request-target":
            value = parts.path + query
        elif name == "@path":
            value = parts.path
        elif name == "@query":
            value = query or "?"
        elif name.startswith("@"):
            raise SignatureError(f"unsupported derived component {name}")
        else:
            header = parts.headers.get(name)
            if header is None:
                raise SignatureError(f"signed header {name} is missing from the request")
            value = header.strip()
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {sig.params_text}')
    return "\n".join(lines).encode("utf-8")


def verify_with_key(
    sig: MessageSignature, parts: RequestParts, key: PublicKeyTypes, *, scheme: str, authority: str
) -> None:
    message = signature_base(sig, parts, scheme=scheme, authority=authority)
    if sig.algorithm not in _ALGORITHMS[key_kind(type(key))]:
        raise SignatureError("key type does not match the signature algorithm")
    if not verify_bytes(key, sig.signature, message):
        raise SignatureError("signature does not verify")


# The `alg` each kind of key may sign with (None: not given, taken from the key).
_ALGORITHMS: dict[str, frozenset[str | None]] = {
    "rsa": frozenset({None, "rsa-v1_5-sha256"}),
    "ed25519": frozenset({None, "ed25519"}),
    "": frozenset(),
}
