"""Properties that must hold for any input (Hypothesis): parsers fail only with their own errors,
the sanitiser never lets a script through, JSON ingest never crashes."""

from __future__ import annotations

import base64
import contextlib
import re

import orjson
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from content.hashtags import find_hashtags, normalise_tag
from content.html import sanitise_html
from federation.errors import InvalidDocument, SignatureError
from federation.jsonparse import parse_json_object
from federation.signatures import parse_signature_header
from federation.webfinger import Acct, InvalidResource, parse_resource

FAST = settings(max_examples=300, deadline=None)


@FAST
@given(st.text(max_size=300))
def test_the_signature_header_parser_fails_only_with_signature_error(text: str) -> None:
    with contextlib.suppress(SignatureError):
        parse_signature_header(text)


token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.:/#", min_size=1, max_size=40)


@FAST
@given(
    key_id=token,
    headers=st.lists(
        st.sampled_from(["(request-target)", "host", "date", "digest", "(created)"]),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    signature=st.binary(min_size=1, max_size=64),
    algorithm=st.sampled_from(["rsa-sha256", "hs2019"]),
)
def test_well_formed_signature_headers_round_trip(
    key_id: str, headers: list[str], signature: bytes, algorithm: str
) -> None:
    encoded = base64.b64encode(signature).decode()
    listed = " ".join(headers)
    text = f'keyId="{key_id}",algorithm="{algorithm}",headers="{listed}",signature="{encoded}"'

    params = parse_signature_header(text)

    assert (params.key_id, params.algorithm, params.headers, params.signature) == (
        key_id,
        algorithm,
        tuple(headers),
        signature,
    )


@FAST
@given(st.text(max_size=200))
def test_webfinger_resources_parse_or_fail_cleanly(text: str) -> None:
    try:
        result = parse_resource(text)
    except InvalidResource:
        return
    if isinstance(result, Acct):
        assert result.username
        assert result.host == result.host.lower()
        assert "@" not in result.username


dangerous = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "<iframe src=//evil.example></iframe>",
        "<svg onload=alert(1)>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<object data=x></object>",
        "<embed src=x>",
        "<math><mtext><script>alert(1)</script>",
        '<div onclick="alert(1)">x</div>',
        "<style>*{}</style>",
        "<base href=//evil.example>",
        "<form action=//evil.example><input></form>",
        "<!--<script>-->",
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" javascript:alert(1)">x</a>',
    ]
)
benign = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<b>bold</b>",
        "<a href='https://ok.example'>ok</a>",
        "text ",
        "<br>",
        "<ul><li>x</li></ul>",
        "اعتصاب",
        "<span class='h-card mention'>@x</span>",
        "<",
    ]
)


@FAST
@given(st.lists(st.one_of(dangerous, benign, st.text(max_size=20)), max_size=12))
def test_no_script_survives_the_sanitiser(parts: list[str]) -> None:
    cleaned = sanitise_html("".join(parts)).lower()

    assert "<script" not in cleaned
    assert "<iframe" not in cleaned
    assert "<svg" not in cleaned
    assert "<style" not in cleaned
    assert "<object" not in cleaned
    assert "javascript:" not in cleaned
    assert not re.search(r"<[^>]+\son\w+\s*=", cleaned)
    assert not re.search(r"<[^>]+\sstyle\s*=", cleaned)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@FAST
@given(st.binary(max_size=400))
def test_json_ingest_of_arbitrary_bytes_fails_only_with_invalid_document(body: bytes) -> None:
    with contextlib.suppress(InvalidDocument):
        parse_json_object(body)


@FAST
@given(json_values)
def test_json_ingest_accepts_exactly_the_objects_without_nul_characters(value: object) -> None:
    body = orjson.dumps(value)
    try:
        parsed = parse_json_object(body)
    except InvalidDocument:
        assert not isinstance(value, dict) or b"\\u0000" in body
        return
    assert parsed == orjson.loads(body)


def _nesting(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=0)
    return 0


@FAST
@given(json_values, st.text(alphabet="{[", max_size=6))
def test_the_depth_limit_counts_nesting_not_brackets(value: object, brackets: str) -> None:
    """Siblings and brackets inside strings do not count: only how deep the values nest."""
    document = {"value": value, "text": brackets}
    body = orjson.dumps(document)
    assume(b"\\u0000" not in body)
    try:
        parse_json_object(body, max_depth=3)
    except InvalidDocument:
        assert _nesting(document) > 3
        return
    assert _nesting(document) <= 3


@FAST
@given(st.integers(min_value=65, max_value=3000))
def test_nesting_beyond_the_limit_is_refused_never_a_crash(depth: int) -> None:
    body = b'{"a":' * depth + b"1" + b"}" * depth
    try:
        parse_json_object(body)
    except InvalidDocument:
        return
    raise AssertionError(f"depth {depth} was accepted")


@FAST
@given(st.text(max_size=200))
def test_hashtags_are_found_without_error_and_normalise_stably(text: str) -> None:
    for tag in find_hashtags(text):
        assert normalise_tag(normalise_tag(tag)) == normalise_tag(tag)
