"""The address guard's decisions, tested without connecting anywhere."""

from __future__ import annotations

import ipaddress

import pytest

from federation.addressguard import check_url, is_public_address
from federation.errors import AddressNotAllowed


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "198.18.0.1",
        "192.0.2.1",
        "203.0.113.9",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.1.2.3",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
        "2001:db8::1",
        "ff02::1",
        "::127.0.0.1",  # IPv4-compatible
        "::8.8.8.8",  # IPv4-compatible, even of a public address: deprecated, never dialled
        "::ffff:0:7f00:1",  # IPv4-translated
        "::ffff:0:808:808",
        "fec0::1",  # site-local
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
        "192.0.0.1",  # IETF protocol assignments
        "192.0.0.170",
        "192.88.99.1",  # 6to4 relay anycast
        "192.31.196.1",
        "192.52.193.1",
        "192.175.48.1",
        "198.51.100.7",
        "100::1",  # discard-only
        "2001::1",  # Teredo
        "2001:10::1",  # ORCHID
        "2001:20::1",  # ORCHIDv2
        "3fff::1",  # documentation
        "5f00::1",  # SRv6 SIDs: not global unicast
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "2a00:1450:4001::200e",
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/actor",
        "https://[::1]/actor",
        "https://10.0.0.1/x",
        "https://169.254.169.254/",
        "https://[::ffff:169.254.169.254]/",
        "https://localhost/x",
        "https://printer.local/",
        "http://example.org/actor",
        "file:///etc/passwd",
        "gopher://example.org/",
        "ftp://example.org/k",
        "data:text/plain,x",
        "https:///no-host",
        "https://example.org:99999/",
    ],
)
def test_urls_to_private_hosts_or_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(AddressNotAllowed):
        check_url(url, allow_private=False)


def test_public_https_urls_pass() -> None:
    check_url("https://mastodon.example/users/a", allow_private=False)
    check_url("https://93.184.215.14/users/a", allow_private=False)


def test_private_network_mode_allows_loopback_and_http() -> None:
    check_url("http://127.0.0.1:8123/actors/a", allow_private=True)


def test_private_network_mode_still_refuses_other_schemes() -> None:
    with pytest.raises(AddressNotAllowed):
        check_url("file:///etc/passwd", allow_private=True)
