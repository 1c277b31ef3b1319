"""Private keys at rest, sealed with a key derived from the instance secret; loaded keys cached."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from actors.models import Actor
from core.sealing import SealError, seal, unseal
from federation.keys import (
    SigningKey,
    generate_private_key,
    load_private_key,
    private_key_to_pem,
    public_key_to_pem,
)
from federation.proofs import public_multibase

KEY_PURPOSE = b"actor private keys"


class SealedKeyError(Exception):
    """A sealed private key cannot be opened: the secret key changed or the row is damaged."""


def seal_private_key(pem: bytes, secret_key: str) -> str:
    return seal(pem, secret_key, KEY_PURPOSE)


def open_private_key(sealed: str, secret_key: str) -> bytes:
    try:
        return unseal(sealed, secret_key, KEY_PURPOSE)
    except SealError as exc:
        raise SealedKeyError(f"cannot open an actor's private key: {exc}") from exc


@dataclass
class SigningKeys:
    """Our actors' private keys, unsealed once and kept in memory per instance (a typed
    component of `Services`); `instance` is the instance actor's, which signs fetches."""

    by_key_id: dict[str, SigningKey] = field(default_factory=dict)
    instance: SigningKey | None = None
    proof_keys: dict[int, Ed25519PrivateKey] = field(default_factory=dict)  # by actor id


def signing_key(actor: Actor, secret_key: str, cache: SigningKeys) -> SigningKey:
    """The loaded signing key of one of our actors."""
    if actor.key_id is None or actor.private_key_sealed is None:
        raise SealedKeyError(f"actor {actor.uri} has no private key")
    found = cache.by_key_id.get(actor.key_id)
    if found is None:
        private = load_private_key(open_private_key(actor.private_key_sealed, secret_key))
        found = SigningKey(key_id=actor.key_id, private_key=private)
        cache.by_key_id[actor.key_id] = found
    return found


def seal_new_key(secret_key: str) -> tuple[str, str]:
    """A new RSA-2048 pair: (public PEM, sealed private PEM)."""
    private = generate_private_key()
    return public_key_to_pem(private), seal_private_key(private_key_to_pem(private), secret_key)


PROOF_KEY_PURPOSE = b"hambastegi ed25519 proof key"


def proof_key_id(actor: Actor) -> str:
    return f"{actor.uri}#ed25519-key"


def ensure_proof_key(actor: Actor, secret_key: str) -> None:
    """Give one of our actors its Ed25519 key if it has none yet (actors made before proofs)."""
    if actor.proof_key_public and actor.proof_key_sealed:
        return
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    actor.proof_key_sealed = seal(raw, secret_key, PROOF_KEY_PURPOSE)
    actor.proof_key_public = public_multibase(private.public_key())


def proof_signing_key(actor: Actor, secret_key: str, cache: SigningKeys) -> Ed25519PrivateKey:
    if not actor.proof_key_sealed:
        raise SealedKeyError(f"actor {actor.uri} has no proof key")
    found = cache.proof_keys.get(actor.id)
    if found is None:
        try:
            raw = unseal(actor.proof_key_sealed, secret_key, PROOF_KEY_PURPOSE)
        except SealError as exc:
            raise SealedKeyError(f"cannot open an actor's proof key: {exc}") from exc
        found = cache.proof_keys[actor.id] = Ed25519PrivateKey.from_private_bytes(raw)
    return found
