"""Nothing an editor typed or uploaded is lost by any button: Preview, Save draft, a refused
Publish and the autosave all keep the draft, its image and the image's alt text; drafts are
listed, resumed and discarded, and only by editors of their organisation."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from outbox.models import Attachment, Post, SavedDraft
from tests.integration.site_support import Site, csrf, log_in, site

pytestmark = pytest.mark.db


@pytest.fixture
async def s(tmp_path: Path) -> AsyncIterator[Site]:
    async with site(tmp_path) as sc:
        yield sc


def photo() -> bytes:
    """A JPEG as a phone makes it, with a camera model in its EXIF."""
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 3000"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def post_compose(
    s: Site, fields: dict[str, str], image: bytes | None = None, path: str = "/desk/compose"
) -> Any:
    token = await csrf(s, "/desk/compose")
    files = {"image": ("strike.jpg", image, "image/jpeg")} if image else None
    return await s.http.post(
        path,
        data={"csrf": token, "actor": "oil_workers", "kind": "note", "language": "fa", **fields},
        files=files,
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )


def draft_id_in(page: str) -> str:
    found = re.search(r'name="draft" value="([^"]+)"', page)
    assert found is not None, "the form carries the draft"
    assert found.group(1)
    return found.group(1)


async def drafts(s: Site) -> list[SavedDraft]:
    async with s.instance.svc.db.reader() as session:
        return list(await session.scalars(select(SavedDraft)))


async def test_preview_then_publish_keeps_the_image_and_its_alt_text(s: Site) -> None:
    await log_in(s, "editor")

    preview = await post_compose(
        s,
        {"body": "اعتصاب در پالایشگاه", "alt": "کارگران جلوی دروازه", "action": "preview"},
        image=photo(),
    )
    assert preview.status_code == 200
    draft = draft_id_in(preview.text)
    kept = re.search(
        r'<section class="preview".*?<img src="(/media/[^"]+)" alt="([^"]*)"', preview.text, re.S
    )
    assert kept is not None, "the preview shows the image"
    assert kept.group(2) == "کارگران جلوی دروازه"
    assert "کارگران جلوی دروازه" in preview.text  # and the alt text is in the form again

    # Publish without uploading again, as a browser does after a preview.
    published = await post_compose(
        s, {"body": "اعتصاب در پالایشگاه", "draft": draft, "action": "publish"}
    )

    assert published.status_code == 303
    async with s.instance.svc.db.reader() as session:
        post = await session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
        assert post is not None
        images = list(
            await session.scalars(select(Attachment).where(Attachment.post_id == post.id))
        )
    assert [a.alt_text for a in images] == ["کارگران جلوی دروازه"]
    assert f"/media/{images[0].file_name}" == kept.group(1)
    served = await s.http.get(kept.group(1))
    assert b"PhoneCam" not in served.content  # stored without its metadata
    assert await drafts(s) == []  # a published draft is discarded


async def test_a_refused_publish_keeps_the_upload_and_asks_for_the_alt_text(s: Site) -> None:
    await log_in(s, "editor")
    before = await post_count(s)

    refused = await post_compose(s, {"body": "بدون توضیح", "action": "publish"}, image=photo())

    assert refused.status_code == 400
    assert "alt text" in refused.text
    assert await post_count(s) == before
    draft = draft_id_in(refused.text)
    field = re.search(r'name="(kept_alt_[0-9a-f]{32}\.jpg)"', refused.text)
    assert field is not None, "the kept image is in the form, waiting for its description"

    published = await post_compose(
        s,
        {"body": "بدون توضیح", "draft": draft, field.group(1): "دروازه", "action": "publish"},
    )

    assert published.status_code == 303
    async with s.instance.svc.db.reader() as session:
        alts = list(await session.scalars(select(Attachment.alt_text).order_by(Attachment.id)))
    assert alts[-1] == "دروازه"


async def test_a_kept_image_can_be_removed_before_publishing(s: Site) -> None:
    await log_in(s, "editor")
    preview = await post_compose(
        s, {"body": "x", "alt": "a gate", "action": "preview"}, image=photo()
    )
    draft = draft_id_in(preview.text)
    name = re.search(r'name="kept_alt_([0-9a-f]{32}\.jpg)"', preview.text)
    assert name is not None

    published = await post_compose(
        s, {"body": "x", "draft": draft, f"remove_{name.group(1)}": "on", "action": "publish"}
    )

    assert published.status_code == 303
    async with s.instance.svc.db.reader() as session:
        post = await session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
        assert post is not None
        count = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.post_id == post.id)
        )
    assert count == 0


async def test_a_saved_draft_is_listed_resumed_and_discarded(s: Site) -> None:
    await log_in(s, "editor")

    saved = await post_compose(
        s,
        {"kind": "article", "title": "خبرنامهٔ آذر", "body": "پیش‌نویس", "action": "save"},
    )

    assert saved.status_code == 303
    location = saved.headers["location"]
    assert location.startswith("/desk/compose?draft=")
    assert location.endswith("&saved=1")
    resumed = await s.http.get(location)
    assert resumed.status_code == 200
    assert "Draft saved" in resumed.text
    assert 'value="خبرنامهٔ آذر"' in resumed.text
    assert "Write: Bulletin" in resumed.text  # the kind comes back with the draft
    listing = await s.http.get("/desk/drafts")
    assert "خبرنامهٔ آذر" in listing.text
    draft = location.split("draft=", 1)[1].split("&", 1)[0]

    token = await csrf(s, "/desk/drafts")
    discarded = await s.http.post(
        f"/desk/drafts/{draft}/discard",
        data={"csrf": token},
        headers={"Origin": s.instance.base_url},
        follow_redirects=False,
    )

    assert discarded.status_code == 303
    assert await drafts(s) == []
    gone = await s.http.get(f"/desk/compose?draft={draft}")
    assert gone.status_code == 403
    assert "does not exist any more" in gone.text


async def test_only_editors_of_the_organisation_see_or_touch_its_drafts(s: Site) -> None:
    await log_in(s, "editor")
    saved = await post_compose(s, {"body": "internal plan", "action": "save"})
    draft = saved.headers["location"].split("draft=", 1)[1].split("&", 1)[0]

    s.http.cookies.clear()
    await log_in(s, "curator")  # curates the network; not an editor of oil_workers

    assert (await s.http.get(f"/desk/compose?draft={draft}")).status_code == 403
    assert "internal plan" not in (await s.http.get("/desk/drafts")).text
    token = await csrf(s, "/desk/drafts")
    refused = await s.http.post(
        f"/desk/drafts/{draft}/discard",
        data={"csrf": token},
        headers={"Origin": s.instance.base_url},
    )
    assert refused.status_code == 403
    assert len(await drafts(s)) == 1


async def test_the_autosave_keeps_one_draft_up_to_date(s: Site) -> None:
    await log_in(s, "editor")

    first = await post_compose(s, {"body": "first words"}, path="/desk/drafts/autosave")
    assert first.status_code == 200
    draft = first.json()["draft"]
    second = await post_compose(
        s, {"body": "first words, then more", "draft": draft}, path="/desk/drafts/autosave"
    )

    assert second.json()["draft"] == draft
    [kept] = await drafts(s)
    assert kept.fields["body"] == "first words, then more"
    assert "csrf" not in kept.fields


async def test_the_autosave_refuses_bad_input_with_a_message_and_keeps_the_draft(s: Site) -> None:
    await log_in(s, "editor")
    first = await post_compose(s, {"body": "kept"}, path="/desk/drafts/autosave")
    draft = first.json()["draft"]

    not_an_image = await post_compose(
        s,
        {"body": "changed", "draft": draft},
        image=b"GIF89a not really",
        path="/desk/drafts/autosave",
    )
    someone_elses = await post_compose(
        s, {"body": "x", "draft": "01HZZZZZZZZZZZZZZZZZZZZZZZ"}, path="/desk/drafts/autosave"
    )
    no_token = await s.http.post(
        "/desk/drafts/autosave",
        data={"actor": "oil_workers", "body": "x"},
        headers={"Origin": s.instance.base_url},
    )

    assert not_an_image.status_code == 400
    assert not_an_image.json()["error"]
    assert someone_elses.status_code == 403
    assert no_token.status_code == 403
    [kept] = await drafts(s)
    assert kept.fields["body"] == "kept"


async def post_count(s: Site) -> int:
    async with s.instance.svc.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Post)) or 0)
