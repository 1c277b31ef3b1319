"""Object Integrity Proofs (FEP-8b32): a `DataIntegrityProof` with the `eddsa-jcs-2022`
cryptosuite, made with an actor's Ed25519 key published as a `Multikey` in its
`assertionMethod`. An activity that carries one can be checked by anyone who has it, however
it travelled (forwarded, relayed), not only by the server it was POSTed to.

The message signed is SHA-256(JCS(proof options, with the document's @context)) followed by
SHA-256(JCS(the document without its proof)); JCS is RFC 8785 (the `jcs` package)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import base58
import jcs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CRYPTOSUITE = "eddsa-jcs-2022"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
_ED25519_PUB = b"\xed\x01"  # the multicodec prefix of an Ed25519 public key


class ProofError(Exception):
    """A proof that is malformed or does not verify; the message says which."""


def public_multibase(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58.b58encode(_ED25519_PUB + raw).decode()


def load_multibase(value: str) -> Ed25519PublicKey:
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 100:
        raise ProofError("publicKeyMultibase must be base58btc (z…)")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as exc:
        raise ProofError("publicKeyMultibase is not base58") from exc
    if len(raw) != 34 or not raw.startswith(_ED25519_PUB):
        raise ProofError("publicKeyMultibase is not an Ed25519 key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def multikey(controller: str, key_id: str, key: Ed25519PublicKey) -> dict[str, str]:
    return {
        "id": key_id,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": public_multibase(key),
    }


def _digest(value: Any) -> bytes:
    try:
        return hashlib.sha256(jcs.canonicalize(value)).digest()
    except (TypeError, ValueError) as exc:
        raise ProofError(f"the document cannot be canonicalised: {exc}") from exc


def _options(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in document:
        config["@context"] = document["@context"]
    return config


def sign(
    document: dict[str, Any],
    key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The document with a `proof` (an existing proof is replaced). Its `@context` gains the
    Data Integrity context, which defines `proof` and its terms for JSON-LD readers."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    context = unsigned.get("@context")
    contexts = context if isinstance(context, list) else [context] if context else []
    if DATA_INTEGRITY_CONTEXT not in contexts:
        unsigned["@context"] = [*contexts, DATA_INTEGRITY_CONTEXT]
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
        "created": (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    message = _digest(_options(unsigned, proof)) + _digest(unsigned)
    proof["proofValue"] = "z" + base58.b58encode(key.sign(message)).decode()
    return {**unsigned, "proof": proof}


def proof_of(document: dict[str, Any]) -> dict[str, Any] | None:
    """The eddsa-jcs-2022 proof a document carries, if any (the first, if a list)."""
    found = document.get("proof")
    proofs = found if isinstance(found, list) else [found]
    for proof in proofs:
        if isinstance(proof, dict) and proof.get("cryptosuite") == CRYPTOSUITE:
            return proof
    return None


def verify(document: dict[str, Any], key: Ed25519PublicKey) -> None:
    """Check the document's eddsa-jcs-2022 proof with `key`; ProofError if it fails."""
    proof = proof_of(document)
    if proof is None:
        raise ProofError("no eddsa-jcs-2022 proof")
    if proof.get("type") != "DataIntegrityProof" or proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("not a DataIntegrityProof for assertionMethod")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 200:
        raise ProofError("proofValue must be base58btc (z…)")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as exc:
        raise ProofError("proofValue is not base58") from exc
    # A Linked Data Signature (Mastodon's, RsaSignature2017) is added after the proof, over it:
    # it is not part of what the proof signed.
    unsigned = {k: v for k, v in document.items() if k not in ("proof", "signature")}
    message = _digest(_options(unsigned, proof)) + _digest(unsigned)
    try:
        key.verify(signature, message)
    except InvalidSignature as exc:
        raise ProofError("the proof does not verify") from exc
