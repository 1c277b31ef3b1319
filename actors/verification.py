"""Verify a signed request (draft-cavage or RFC 9421) and say which actor signed it.

Cheap checks first (parse, strength, time window, domain policy) so that nothing is fetched for
a request that would be refused anyway. Keys are cached in memory; a failed verification
refetches the key once (key rotation), at most once per cool-off per keyId.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from starlette.types import Scope

from actors.domains import DomainBlocked, check_domain
from actors.keycache import CachedKey, KeyCache, forget_key
from actors.resolver import ResolveError, resolve_key_owner
from core.uris import authority
from federation import rfc9421, signatures
from federation.errors import SignatureError
from federation.keys import InvalidKey, load_public_key
from federation.signatures import RequestParts
from runtime.services import Services

KEY_CACHE_SECONDS = 600.0
REFETCH_COOL_OFF_SECONDS = 300.0
MAX_COOL_OFF_ENTRIES = 10_000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Signer:
    actor_uri: str
    key_id: str


@dataclass(frozen=True)
class _Parsed:
    key_id: str
    cavage: signatures.SignatureParams | None
    message: rfc9421.MessageSignature | None


def request_parts(scope: Scope, body: bytes) -> RequestParts:
    """The request as its sender signed it: the path as sent (still percent-encoded), the query
    string, the headers with lower-case names."""
    raw_path = scope.get("raw_path")
    return RequestParts(
        method=scope["method"],
        path=raw_path.decode("latin-1") if raw_path else scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
        body=body,
    )


def parse_and_check(svc: Services, parts: RequestParts) -> _Parsed:
    """Everything that needs no key: parse, required components, digest, time window, host."""
    now = svc.clock.now()
    if "signature-input" in parts.headers:
        message = rfc9421.parse_message_signature(
            parts.headers["signature-input"], parts.headers.get("signature", "")
        )
        rfc9421.check_strength(message, parts, now)
        return _Parsed(key_id=message.key_id, cavage=None, message=message)
    header = parts.headers.get("signature")
    if header is None:
        raise SignatureError("the request is not signed")
    params = signatures.parse_signature_header(header)
    signatures.check_strength(params, parts, our_host=svc.settings.host)
    signatures.check_time_window(params, parts, now)
    return _Parsed(key_id=params.key_id, cavage=params, message=None)


async def verify_request(svc: Services, parts: RequestParts) -> Signer:
    """The signer of a request, or `SignatureError` / `DomainBlocked`."""
    parsed = parse_and_check(svc, parts)
    await check_domain(svc, authority(parsed.key_id))
    cached = await _key(svc, parsed.key_id, refresh=False)
    try:
        _verify(svc, parsed, parts, cached)
    except SignatureError:
        if not _may_refetch(svc, parsed.key_id):
            raise
        cached = await _key(svc, parsed.key_id, refresh=True)
        _verify(svc, parsed, parts, cached)
    # The key's server was checked before any fetch; its owner's may be another one.
    await check_domain(svc, authority(cached.actor_uri))
    return Signer(actor_uri=cached.actor_uri, key_id=parsed.key_id)


def _verify(svc: Services, parsed: _Parsed, parts: RequestParts, cached: CachedKey) -> None:
    if parsed.message is not None:
        rfc9421.verify_with_key(
            parsed.message,
            parts,
            cached.key,
            scheme=svc.settings.scheme,
            authority=svc.settings.host,
        )
    elif parsed.cavage is not None:
        signatures.verify_with_key(parsed.cavage, parts, cached.key)


async def _key(svc: Services, key_id: str, *, refresh: bool) -> CachedKey:
    now = time.monotonic()
    cache = svc.component(KeyCache)
    found = cache.keys.get(key_id)
    if found is not None and not refresh and found.expires_at > now:
        return found
    try:
        owner = await resolve_key_owner(svc, key_id, refresh=refresh)
    except ResolveError as exc:
        # The sender learns nothing about our network (DNS, refused connections, TLS): the
        # detail goes to the log only.
        log.info("signing key unavailable key_id=%s: %s", key_id, exc)
        raise SignatureError("the signing key could not be fetched and verified") from exc
    if owner.public_key_pem is None:
        raise SignatureError(f"{owner.uri} publishes no key")
    try:
        key = load_public_key(owner.public_key_pem)
    except InvalidKey as exc:
        raise SignatureError(f"the key of {owner.uri} is not usable: {exc}") from exc
    cached = CachedKey(actor_uri=owner.uri, key=key, expires_at=now + KEY_CACHE_SECONDS)
    cache.keys[key_id] = cached
    if len(cache.keys) > MAX_COOL_OFF_ENTRIES:
        cache.keys.pop(next(iter(cache.keys)))
    return cached


def _may_refetch(svc: Services, key_id: str) -> bool:
    now = time.monotonic()
    refetched_at = svc.component(KeyCache).refetched_at
    last = refetched_at.get(key_id)
    if last is not None and now - last < REFETCH_COOL_OFF_SECONDS:
        return False
    if len(refetched_at) > MAX_COOL_OFF_ENTRIES:
        cutoff = now - REFETCH_COOL_OFF_SECONDS
        for stale in [k for k, t in refetched_at.items() if t < cutoff]:
            del refetched_at[stale]
    refetched_at[key_id] = now
    return True


__all__ = ["DomainBlocked", "Signer", "forget_key", "request_parts", "verify_request"]
