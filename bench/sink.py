"""A delivery sink: many loopback ports over TLS, each answering every POST with 202.

Run as a separate process (`python -m bench.sink --ports 1000 --cert C --key K`) so that its CPU
is not charged to the sender. It prints one JSON line with its ports, then serves until stdin
closes. A plain-HTTP control port answers `GET /count` with the number of requests so far.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import ssl
import sys

RESPONSE = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"


class Counter:
    requests = 0


class SlowProtocol(asyncio.Protocol):
    """A slow server: reads the request, then never answers (`drip=False`) or answers with
    headers and one byte of body a second, forever (`drip=True`)."""

    def __init__(self, drip: bool) -> None:
        self.drip = drip
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.drip and self.task is None and b"\r\n\r\n" in data:
            self.task = asyncio.get_running_loop().create_task(self._drip())

    async def _drip(self) -> None:
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 1000\r\n\r\n")
        while not self.transport.is_closing():
            self.transport.write(b" ")
            await asyncio.sleep(1.0)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None:
            self.task.cancel()


class SinkProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough: read the head and Content-Length bytes, answer."""

    def __init__(self, counter: Counter, control: bool = False) -> None:
        self.counter = counter
        self.control = control
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            self.buffer = self.buffer[total:]
            assert self.transport is not None
            if self.control:
                body = str(self.counter.requests).encode()
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                )
            else:
                self.counter.requests += 1
                self.transport.write(RESPONSE)


async def serve(ports: int, cert: str, key: str, slow: int = 0) -> None:
    loop = asyncio.get_running_loop()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    counter = Counter()
    servers = []
    for _ in range(ports):
        server = await loop.create_server(
            lambda: SinkProtocol(counter), "127.0.0.1", 0, ssl=context, backlog=256
        )
        servers.append(server)
    slow_servers = []
    for n in range(slow):
        factory = functools.partial(SlowProtocol, drip=n % 2 == 1)
        slow_servers.append(
            await loop.create_server(factory, "127.0.0.1", 0, ssl=context, backlog=256)
        )
    control = await loop.create_server(lambda: SinkProtocol(counter, control=True), "127.0.0.1", 0)
    numbers = [s.sockets[0].getsockname()[1] for s in servers]
    slow_numbers = [s.sockets[0].getsockname()[1] for s in slow_servers]
    ready = {
        "ports": numbers,
        "slow_ports": slow_numbers,
        "control": control.sockets[0].getsockname()[1],
    }
    print(json.dumps(ready))
    sys.stdout.flush()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, default=1000)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--slow", type=int, default=0, help="extra ports that never answer or drip")
    args = parser.parse_args()
    asyncio.run(serve(args.ports, args.cert, args.key, args.slow))


if __name__ == "__main__":
    main()
