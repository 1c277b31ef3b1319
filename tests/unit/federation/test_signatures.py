"""Our draft-cavage signatures against httpsig, the independent implementation, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpsig
import pytest

from federation.digest import digest_header
from federation.errors import SignatureError
from federation.keys import SigningKey, generate_private_key, private_key_to_pem, public_key_to_pem
from federation.signatures import (
    RequestParts,
    check_strength,
    check_time_window,
    parse_signature_header,
    sign_request,
    verify_with_key,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
KEY = generate_private_key()
SIGNER = SigningKey("https://home.example/actors/a#main-key", KEY)
BODY = b'{"type":"Follow"}'


def parts_from(
    headers: dict[str, str],
    *,
    method: str = "POST",
    path: str = "/inbox",
    query: str = "",
    body: bytes = BODY,
) -> RequestParts:
    return RequestParts(method, path, query, {k.lower(): v for k, v in headers.items()}, body)


def test_httpsig_verifies_our_post_signature() -> None:
    headers = sign_request(SIGNER, "POST", "https://remote.example/inbox", BODY, NOW)

    verifier = httpsig.HeaderVerifier(
        headers,
        public_key_to_pem(KEY),
        required_headers=["(request-target)", "host", "date", "digest"],
        method="POST",
        path="/inbox",
        sign_header="signature",
    )

    assert verifier.verify()


def test_httpsig_verifies_our_get_signature_with_a_query() -> None:
    headers = sign_request(SIGNER, "GET", "https://remote.example/users/b?page=2", None, NOW)

    verifier = httpsig.HeaderVerifier(
        headers,
        public_key_to_pem(KEY),
        method="GET",
        path="/users/b?page=2",
        sign_header="signature",
    )

    assert verifier.verify()
    assert "digest" not in headers


def test_we_verify_a_signature_made_by_httpsig() -> None:
    headers = {
        "Host": "home.example",
        "Date": format_datetime(NOW, usegmt=True),
        "Digest": digest_header(BODY),
    }
    signer = httpsig.HeaderSigner(
        "https://remote.example/users/b#main-key",
        private_key_to_pem(KEY),
        algorithm="rsa-sha256",
        headers=["(request-target)", "host", "date", "digest"],
        sign_header="signature",
    )
    signed = signer.sign(headers, host="home.example", method="POST", path="/inbox")

    parts = parts_from(signed)
    params = parse_signature_header(parts.headers["signature"])
    check_strength(params, parts, our_host="home.example")
    check_time_window(params, parts, NOW)
    verify_with_key(params, parts, KEY.public_key())


def test_httpsig_refuses_our_signature_when_the_body_changes() -> None:
    headers = sign_request(SIGNER, "POST", "https://remote.example/inbox", BODY, NOW)
    headers["digest"] = digest_header(b"something else")

    verifier = httpsig.HeaderVerifier(
        headers,
        public_key_to_pem(KEY),
        method="POST",
        path="/inbox",
        sign_header="signature",
    )

    assert not verifier.verify()


def test_a_query_string_left_out_of_the_signature_is_tolerated() -> None:
    # interop(mastodon): some senders sign the path without its query; Mastodon retries without it
    headers = sign_request(SIGNER, "GET", "https://home.example/users/b", None, NOW)
    parts = parts_from(headers, method="GET", path="/users/b", query="page=2", body=b"")

    verify_with_key(parse_signature_header(headers["signature"]), parts, KEY.public_key())


def test_a_mismatching_path_does_not_verify() -> None:
    headers = sign_request(SIGNER, "POST", "https://home.example/inbox", BODY, NOW)
    parts = parts_from(headers, path="/actors/x/inbox")

    with pytest.raises(SignatureError, match="does not verify"):
        verify_with_key(parse_signature_header(headers["signature"]), parts, KEY.public_key())


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(minutes=0), True),
        (timedelta(minutes=64), True),
        (timedelta(minutes=66), False),
        (timedelta(minutes=-59), True),
        (timedelta(minutes=-61), False),
    ],
)
def test_the_time_window_is_mastodons(age: timedelta, accepted: bool) -> None:
    headers = sign_request(SIGNER, "POST", "https://home.example/inbox", BODY, NOW - age)
    parts = parts_from(headers)
    params = parse_signature_header(headers["signature"])

    if accepted:
        check_time_window(params, parts, NOW)
    else:
        with pytest.raises(SignatureError):
            check_time_window(params, parts, NOW)


@pytest.mark.parametrize(
    "header",
    [
        'keyId="a",signature="AAAA",headers="date',
        'keyId="a"',
        'signature="AAAA"',
        "garbage",
        "",
        'keyId="a",keyId="b",signature="AAAA"',
        'keyId="a",signature="AAAA",created=soon',
    ],
)
def test_malformed_signature_headers_are_refused(header: str) -> None:
    with pytest.raises(SignatureError):
        parse_signature_header(header)


def test_parsed_parameters() -> None:
    params = parse_signature_header(
        'keyId="https://x.example/a#k",algorithm="hs2019",headers="(request-target) host date",'
        'created=1700000000,signature="AAAA"'
    )

    assert params.key_id == "https://x.example/a#k"
    assert params.algorithm == "hs2019"
    assert params.headers == ("(request-target)", "host", "date")
    assert params.created == 1700000000
