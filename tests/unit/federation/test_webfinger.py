"""WebFinger resources: what parses, what is refused, and the JRD we build."""

from __future__ import annotations

import pytest

from federation.webfinger import (
    Acct,
    InvalidResource,
    build_jrd,
    parse_acct,
    parse_resource,
    self_link,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acct:alice@example.org", Acct("alice", "example.org")),
        ("alice@Example.ORG", Acct("alice", "example.org")),
        ("@alice@example.org", Acct("alice", "example.org")),
        ("acct:alice@127.0.0.1:8123", Acct("alice", "127.0.0.1:8123")),
        ("acct:alice%40example.org", Acct("alice", "example.org")),
    ],
)
def test_handles_parse(text: str, expected: Acct) -> None:
    assert parse_acct(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "acct:",
        "alice",
        "acct:@example.org",
        "acct:alice@",
        "a@b@c",
        "acct:al ice@x.org",
        "acct:alice@exa/mple.org",
        "acct:alice@example.org:notaport",
    ],
)
def test_malformed_handles_are_refused(text: str) -> None:
    with pytest.raises(InvalidResource):
        parse_acct(text)


def test_missing_resource_is_refused() -> None:
    with pytest.raises(InvalidResource, match="required"):
        parse_resource(None)


def test_url_resources_pass_through() -> None:
    assert parse_resource("https://example.org/actors/a") == "https://example.org/actors/a"


def test_jrd_links_self_to_the_actor() -> None:
    jrd = build_jrd(Acct("a", "x.org"), "https://x.org/actors/a", "https://x.org/@a")

    assert jrd["subject"] == "acct:a@x.org"
    assert self_link(jrd) == "https://x.org/actors/a"
