"""RSA key pairs for HTTP Signatures: generate, serialise, load. The private key never leaves us."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

MIN_RSA_BITS = 2048  # every current server uses 2048 or more; shorter keys can be factored


class InvalidKey(Exception):
    """A key could not be parsed or is of an unsupported kind."""


@dataclass(frozen=True)
class SigningKey:
    """What a signer needs: the key id to publish and the loaded private key."""

    key_id: str
    private_key: rsa.RSAPrivateKey

    def __repr__(self) -> str:  # never print key material
        return f"SigningKey(key_id={self.key_id!r})"


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_to_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_to_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidKey("only RSA private keys are supported")
    return key


def load_public_key(pem: str) -> PublicKeyTypes:
    """Load a PEM public key (SPKI, or PKCS#1 `RSA PUBLIC KEY` as some servers publish)."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode("ascii", errors="replace"))
    except (ValueError, TypeError) as exc:
        raise InvalidKey("malformed public key PEM") from exc
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise InvalidKey(f"RSA keys under {MIN_RSA_BITS} bits are refused ({key.key_size} given)")
    return key
