"""A real SMTP server on loopback (aiosmtpd, from PyPI) that keeps what it receives, can
require STARTTLS and a password, and can refuse chosen recipients with a 4xx or 5xx."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "relay-user", "relay-password"


@dataclass
class Mailbox:
    """What the server received, and how it answers recipients."""

    received: list[EmailMessage] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "450 …" or "550 …"
    refuse_once: set[str] = field(default_factory=set)  # refusals that then go away

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        answer = self.refuse.get(address)
        if answer is not None:
            if address in self.refuse_once:
                del self.refuse[address]
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(
    *, tls: ssl.SSLContext | None = None, implicit_tls: bool = False
) -> Iterator[tuple[Mailbox, int]]:
    """An SMTP server on 127.0.0.1 wanting a login (STARTTLS first when `tls` is given, or TLS
    from the first byte with `implicit_tls`)."""
    box = Mailbox()
    port = _free_port()
    kwargs: dict[str, Any] = {
        "authenticator": _authenticate,
        # A password over plain text only in the plain-text tests (aiosmtpd warns about
        # requiring one without TLS): with TLS, AUTH is required.
        "auth_required": tls is not None,
        "auth_require_tls": tls is not None,
    }
    if tls is not None and not implicit_tls:
        kwargs.update(tls_context=tls, require_starttls=True)
    if implicit_tls:
        # aiosmtpd does not know a connection wrapped in TLS from the start is TLS: it would
        # offer no AUTH. The whole connection is TLS here, so it may offer it.
        # AUTH is offered and checked (our client logs in); not "required", which aiosmtpd
        # would warn about on every connection.
        kwargs.update(auth_require_tls=False, auth_required=False)
    controller = _controller(box, port, tls if implicit_tls else None, kwargs)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _controller(
    box: Mailbox, port: int, implicit: ssl.SSLContext | None, kwargs: dict[str, Any]
) -> Controller:
    return Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        ssl_context=implicit,
        **kwargs,
    )
