"""Secrets at rest (actors' private keys, editors' TOTP seeds) sealed with a key derived from the
instance secret: a copy of the database alone does not give them away."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SealError(Exception):
    """A sealed value cannot be opened: the secret key changed, or the value is damaged."""


def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hambastegi", info=purpose).derive(
        secret_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(data: bytes, secret_key: str, purpose: bytes) -> str:
    return _fernet(secret_key, purpose).encrypt(data).decode("ascii")


def unseal(sealed: str, secret_key: str, purpose: bytes) -> bytes:
    try:
        return _fernet(secret_key, purpose).decrypt(sealed.encode("ascii"))
    except InvalidToken as exc:
        raise SealError("HAMBASTEGI_SECRET_KEY is not the one this value was sealed with") from exc
