"""Which addresses we may connect to: global unicast only, unless private networks are allowed.

The decision is applied to the address actually dialled: `GuardedResolver` filters what DNS
returns (so a name that resolves to loopback is refused without connecting), and IP literals in
URLs are checked before the request, since aiohttp does not resolve those.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from federation.errors import AddressNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(ip: IPAddress) -> bool:
    """True only for globally routable unicast addresses (IPv4-mapped, 6to4, Teredo unwrapped)."""
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour):
            if embedded is not None:
                return is_public_address(embedded)
        if ip.teredo is not None:
            return all(is_public_address(part) for part in ip.teredo)
        if ip in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64 well-known prefix
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return ip.is_global and not ip.is_multicast


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


class GuardedResolver(AbstractResolver):
    """Resolve once and hand aiohttp only public addresses, so the checked address is dialled."""

    def __init__(self, *, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self._allow_private = allow_private
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return results
        allowed = [r for r in results if is_public_address(ipaddress.ip_address(r["host"]))]
        if not allowed:
            raise AddressNotAllowed(f"{host} resolves only to non-public addresses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()
