"""The public keys we verified with, kept in memory per instance (a typed component of
`Services`), and when each was last fetched again after a failed verification."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from runtime.services import Services


@dataclass(frozen=True)
class CachedKey:
    """A verified-usable public key: whose it is and the loaded key object."""

    actor_uri: str
    key: PublicKeyTypes
    expires_at: float  # monotonic seconds


@dataclass
class KeyCache:
    keys: dict[str, CachedKey] = field(default_factory=dict)
    refetched_at: dict[str, float] = field(default_factory=dict)  # monotonic seconds


def forget_key(svc: Services, key_id: str | None) -> None:
    """The actor changed or dropped this key: verify with it no more."""
    if key_id:
        svc.component(KeyCache).keys.pop(key_id, None)
