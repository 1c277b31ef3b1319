"""Throttles that slow abuse and cannot be turned against editors: logins (per client, and per
account and client, never a lock on the account), X-Forwarded-For believed only from configured
proxies, and public forms (joining the network) limited per client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from network.models import JoinRequest
from tests.harness import served_instance
from tests.integration.site_support import PASSWORD, Site, seed, site


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


def client_at(s: Site, address: str) -> httpx.AsyncClient:
    """Another visitor, from another (loopback) address, of the same in-process app."""
    transport = httpx.ASGITransport(app=s.instance.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=s.instance.base_url)


async def try_login(http: httpx.AsyncClient, base: str, password: str) -> httpx.Response:
    page = await http.get("/desk/login")
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return await http.post(
        "/desk/login",
        data={"csrf": token, "username": "editor", "password": password},
        headers={"Origin": base},
    )


async def test_a_guesser_cannot_keep_an_editor_out(s: Site) -> None:
    base = s.instance.base_url
    async with client_at(s, "127.0.0.66") as guesser, client_at(s, "127.0.0.7") as editor:
        answers = [(await try_login(guesser, base, f"guess {n}")).status_code for n in range(8)]
        refused = await try_login(guesser, base, PASSWORD)  # even the right one, for now
        logged_in = await try_login(editor, base, PASSWORD)

    assert answers[:4] == [401] * 4
    assert 429 in answers[4:]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert logged_in.status_code == 303
    assert "hb_session" in logged_in.headers.get("set-cookie", "")


async def test_one_client_cannot_try_many_accounts_quickly(s: Site) -> None:
    base = s.instance.base_url
    async with client_at(s, "127.0.0.66") as guesser:
        statuses = []
        for n in range(12):
            page = await guesser.get("/desk/login")
            token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            response = await guesser.post(
                "/desk/login",
                data={"csrf": token, "username": f"user{n}", "password": "x"},
                headers={"Origin": base},
            )
            statuses.append(response.status_code)

    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


async def join(http: httpx.AsyncClient, n: int) -> int:
    page = await http.get("/join")
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    response = await http.post(
        "/join",
        data={
            "csrf": token,
            "organisation": f"Union {n}",
            "contact": f"union{n}@example.org",
            "country": "IR",
            "sector": "oil_gas",
        },
    )
    return response.status_code


async def test_the_join_form_is_limited_per_client(s: Site) -> None:
    async with client_at(s, "127.0.0.66") as flooder, client_at(s, "127.0.0.8") as union:
        flood = [await join(flooder, n) for n in range(8)]
        honest = await join(union, 99)
    async with s.instance.svc.db.reader() as session:
        stored = await session.scalar(select(func.count()).select_from(JoinRequest))

    assert flood[:5] == [200] * 5
    assert flood[5:] == [429] * 3
    assert honest == 200
    assert stored == 6


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
async def test_forwarded_for_counts_only_from_trusted_proxies(tmp_path: Path, trusted: str) -> None:
    proxies = (trusted,) if trusted else ()
    async with served_instance(tmp_path, trusted_proxies=proxies) as instance:
        await seed(instance)
        async with httpx.AsyncClient(base_url=instance.base_url) as http:
            statuses = []
            for n in range(12):  # a new "client address" every time
                page = await http.get("/desk/login", headers={"X-Forwarded-For": f"127.0.9.{n}"})
                token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                response = await http.post(
                    "/desk/login",
                    data={"csrf": token, "username": f"user{n}", "password": "x"},
                    headers={"Origin": instance.base_url, "X-Forwarded-For": f"127.0.9.{n}"},
                )
                statuses.append(response.status_code)

    if trusted:  # the proxy says each request came from someone else: each is a new client
        assert 429 not in statuses
    else:  # rotating the header changes nothing
        assert statuses[10:] == [429, 429]


async def test_guessing_from_many_clients_slows_new_devices_but_never_the_editors(
    s: Site,
) -> None:
    base = s.instance.base_url
    async with client_at(s, "127.0.0.7") as editor:  # the editor's phone, used before
        assert (await try_login(editor, base, PASSWORD)).status_code == 303
        editor.cookies.delete("hb_session", path="/desk")
        for n in range(12):  # a botnet: each address guesses once
            async with client_at(s, f"127.0.1.{n}") as bot:
                assert (await try_login(bot, base, f"guess {n}")).status_code == 401
        async with client_at(s, "127.0.0.99") as stranger:
            new_device = await try_login(stranger, base, PASSWORD)
        known_device = await try_login(editor, base, PASSWORD)

    assert new_device.status_code == 401
    assert "try again" in new_device.text.lower()
    assert known_device.status_code == 303
