"""Errors raised by the protocol kit."""

from __future__ import annotations


class FederationError(Exception):
    """Base of the protocol kit's errors."""


class SignatureError(FederationError):
    """A request signature is missing, malformed, too weak, out of its window, or wrong."""


class InvalidDocument(FederationError):
    """Wire JSON that is not what the protocol requires."""


class FetchError(FederationError):
    """A remote document could not be fetched, or was refused by our checks."""

    def __init__(self, message: str, *, status: int | None = None, is_permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.is_permanent = is_permanent


class AddressNotAllowed(FetchError):
    """The URL points at a private, loopback, link-local or reserved address, or a bad scheme."""

    def __init__(self, message: str) -> None:
        super().__init__(message, is_permanent=True)


class ResponseTooLarge(FetchError):
    """The response body (after decompression) exceeded the cap."""


class FetchDeferred(FederationError):
    """A fetch was asked for where the caller said none may happen (`client.no_fetching`):
    not a failure of the peer; the caller does the work again where fetching is allowed."""
