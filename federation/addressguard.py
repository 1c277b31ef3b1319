"""Which addresses we may connect to: global unicast only, unless private networks are allowed.

The decision is applied to the address actually dialled: `federation.transport.GuardedResolver`
filters what DNS returns (so a name that resolves to loopback is refused without connecting),
and IP literals in URLs are checked here before the request, since aiohttp does not resolve
those.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from federation.errors import AddressNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# IANA's special-purpose address registries (RFC 6890 and later): never a peer's address.
# The guard is an allow-list of global space: IPv4 outside these blocks, IPv6 inside 2000::/3
# outside these blocks; every other IPv6 range (IPv4-compatible ::/96, IPv4-translated
# ::ffff:0:0:0/96, site-local fec0::/10, unique-local, link-local, multicast, local-use NAT64
# 64:ff9b:1::/48, discard 100::/64, ...) is refused whatever Python's `is_global` says.
SPECIAL_IPV4 = tuple(
    ipaddress.IPv4Network(block)
    for block in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip
GLOBAL_UNICAST_IPV6 = ipaddress.IPv6Network("2000::/3")
SPECIAL_IPV6 = tuple(
    ipaddress.IPv6Network(block)
    for block in ("2001::/23", "2001:db8::/32", "2620:4f:8000::/48", "3fff::/20")
)
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses: IPv4 outside the special-purpose
    blocks; IPv6 in 2000::/3 outside them. An IPv4 address inside IPv6 (mapped ::ffff:a.b.c.d,
    the well-known NAT64 prefix, 6to4) is judged as the IPv4 address it reaches."""
    if isinstance(ip, ipaddress.IPv4Address):
        return not any(ip in block for block in SPECIAL_IPV4)
    if ip.ipv4_mapped is not None:
        return is_public_address(ip.ipv4_mapped)
    if ip in NAT64_WELL_KNOWN:
        return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip in SIX_TO_FOUR:
        return ip.sixtofour is not None and is_public_address(ip.sixtofour)
    if ip not in GLOBAL_UNICAST_IPV6:
        return False
    return not any(ip in block for block in SPECIAL_IPV6)


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-http(s) schemes, and literal addresses that are not public."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise AddressNotAllowed(f"malformed URL {url!r}") from exc
    if parts.scheme not in {"http", "https"}:
        raise AddressNotAllowed(f"scheme {parts.scheme!r} is not allowed")
    if not hostname:
        raise AddressNotAllowed(f"URL has no host: {url!r}")
    if parts.scheme == "http" and not allow_private:
        raise AddressNotAllowed("plain http is only allowed for local development")
    if allow_private:
        return
    if hostname in {"localhost"} or hostname.endswith((".localhost", ".local", ".internal")):
        raise AddressNotAllowed(f"host {hostname} is not public")
    try:
        literal = ipaddress.ip_address(hostname)
    except ValueError:
        return
    if not is_public_address(literal):
        raise AddressNotAllowed(f"address {literal} is not public")
