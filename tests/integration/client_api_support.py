"""Driving our Mastodon API as apps do: register, send the editor through the desk's consent
page (logging in as a browser does), and take the code back to the app."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.harness import Instance
from tests.integration.site_support import PASSWORD

CALLBACK = "http://127.0.0.1:9/callback"  # never fetched: the code is read off the redirect


async def consent(
    instance: Instance,
    authorize_url: str,
    *,
    username: str = "editor",
    actor: str = "oil_workers",
    decision: str = "approve",
) -> dict[str, list[str]]:
    """Log in to the desk, open the app's authorization URL, answer the consent form; return
    the query the browser is sent back to the app with (code and state, or error)."""
    async with httpx.AsyncClient(base_url=instance.base_url, timeout=30) as browser:
        page = await browser.get("/desk/login")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        logged_in = await browser.post(
            "/desk/login",
            data={"csrf": token, "username": username, "password": PASSWORD},
            headers={"Origin": instance.base_url},
        )
        assert logged_in.status_code in (200, 303), logged_in.text
        asked = await browser.get(authorize_url, follow_redirects=True)
        assert asked.status_code == 200, asked.text
        form = asked.text.split('<form method="post" action="/desk/oauth/authorize">', 1)[1]
        fields = {
            name: unescape(value)
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.split("</form>")[0]
            )
        }
        answered = await browser.post(
            "/desk/oauth/authorize",
            data={**fields, "actor": actor, "decision": decision},
            headers={"Origin": instance.base_url},
        )
    if answered.status_code == 200:  # out of band: the page shows the code to paste
        code = re.search(r'<code class="copyable" dir="ltr">([^<]+)</code>', answered.text)
        assert code is not None, answered.text
        return {"code": [code.group(1)]}
    assert answered.status_code == 303, answered.text
    location = answered.headers["location"]
    assert location.startswith(CALLBACK)
    return parse_qs(urlsplit(location).query)
