"""Object Integrity Proofs (FEP-8b32, eddsa-jcs-2022): a signed document verifies with the
signer's Multikey and with no other; any change to it, or to the proof, is caught; a Linked
Data Signature added afterwards is not part of what was signed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from federation.proofs import (
    DATA_INTEGRITY_CONTEXT,
    ProofError,
    load_multibase,
    multikey,
    public_multibase,
    sign,
    verify,
)

KEY = Ed25519PrivateKey.generate()
METHOD = "https://example.org/actors/union#ed25519-key"
NOTE = {
    "@context": "https://www.w3.org/ns/activitystreams",
    "id": "https://example.org/activities/1",
    "type": "Create",
    "actor": "https://example.org/actors/union",
    "object": {"type": "Note", "content": "<p>همبستگی با کارگران</p>", "sensitive": False},
}


def test_a_signed_document_verifies_with_its_key_only() -> None:
    signed = sign(NOTE, KEY, METHOD, created=datetime(2026, 12, 6, tzinfo=UTC))

    verify(signed, KEY.public_key())
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert signed["proof"]["created"] == "2026-12-06T00:00:00Z"
    assert DATA_INTEGRITY_CONTEXT in signed["@context"]
    with pytest.raises(ProofError):
        verify(signed, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["object"].update(content="<p>changed</p>"),
        lambda d: d.update(actor="https://evil.example/actors/x"),
        lambda d: d["proof"].update(created="2026-12-07T00:00:00Z"),
        lambda d: d["proof"].update(verificationMethod="https://evil.example/k#1"),
        lambda d: d.update({"@context": ["https://www.w3.org/ns/activitystreams"]}),
    ],
)
def test_any_change_is_caught(change: object) -> None:
    signed = sign(NOTE, KEY, METHOD)
    tampered = {**signed, "object": dict(signed["object"]), "proof": dict(signed["proof"])}
    change(tampered)  # type: ignore[operator]

    with pytest.raises(ProofError):
        verify(tampered, KEY.public_key())


def test_a_linked_data_signature_added_afterwards_is_set_aside() -> None:
    signed = sign(NOTE, KEY, METHOD)

    verify(
        {**signed, "signature": {"type": "RsaSignature2017", "signatureValue": "x"}},
        KEY.public_key(),
    )


@pytest.mark.parametrize("value", ["", "not multibase", "z" + "1" * 40, "zQm" + "a" * 44, 42])
def test_bad_keys_and_proof_values_are_refused(value: object) -> None:
    with pytest.raises(ProofError):
        load_multibase(value)  # type: ignore[arg-type]
    signed = sign(NOTE, KEY, METHOD)
    with pytest.raises(ProofError):
        verify({**signed, "proof": {**signed["proof"], "proofValue": value}}, KEY.public_key())


def test_multikeys_round_trip() -> None:
    key = KEY.public_key()
    found = multikey("https://example.org/actors/union", METHOD, key)

    assert found["publicKeyMultibase"].startswith("z6Mk")  # ed25519-pub, base58btc
    assert (
        public_multibase(load_multibase(found["publicKeyMultibase"])) == found["publicKeyMultibase"]
    )


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in ("proof", "signature")),
        st.one_of(st.text(), st.integers(min_value=-(2**53), max_value=2**53), st.booleans()),
        max_size=8,
    )
)
def test_whatever_the_document_holds_it_verifies_after_signing(document: dict[str, object]) -> None:
    verify(sign(document, KEY, METHOD), KEY.public_key())
