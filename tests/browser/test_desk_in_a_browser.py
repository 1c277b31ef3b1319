"""In a real browser: an editor publishes a Persian bulletin and its English translation, readers
see it right-to-left with a language switcher, and a curator approves a held item. Screenshots
of the main pages are saved in tests/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Page, Route, expect
from sqlalchemy import select

from network.models import CurationItem
from outbox.models import Post
from tests.browser.conftest import screenshot_path
from tests.integration.site_support import PASSWORD, Site

pytestmark = pytest.mark.browser


async def new_page(browser: Browser, language: str = "en") -> Page:
    context = await browser.new_context(
        viewport={"width": 1200, "height": 900}, extra_http_headers={"Accept-Language": language}
    )
    return await context.new_page()


async def log_in_with_the_keyboard(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/desk/login")
    await page.keyboard.press("Tab")
    await expect(page.locator(":focus")).to_have_class("skip")  # the skip link comes first
    await page.locator("#l-user").focus()
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{base}/desk")


async def test_an_editor_publishes_a_persian_bulletin_with_an_english_translation(
    browser: Browser, live: Site
) -> None:
    base = live.instance.base_url
    page = await new_page(browser, "fa")
    await log_in_with_the_keyboard(page, base, "editor")

    await page.goto(f"{base}/desk/compose?actor=oil_workers&kind=article")
    await page.fill("#p-title", "خبرنامهٔ ماه خرداد")
    await page.fill("#p-language", "fa")
    await page.fill("#p-body", "کارگران نفت برای دستمزد عادلانه اعتصاب کردند. #همبستگی")
    await page.click("button[value=preview]")
    await expect(page.locator(".preview")).to_contain_text("کارگران نفت")
    await page.screenshot(path=screenshot_path("desk-compose-preview"), full_page=True)
    await page.click("button[value=publish]")
    await page.wait_for_url(f"{base}/desk/posts/*")
    persian_id = page.url.rsplit("/", 1)[1]

    await page.click(f"a[href*='translation_of={persian_id}']")
    await expect(page.locator(".original")).to_contain_text("کارگران نفت")  # side by side
    await page.fill("#p-title", "Bulletin: June")
    await page.fill("#p-language", "en")
    await page.fill("#p-body", "Oil workers struck for fair wages. #solidarity")
    await page.screenshot(path=screenshot_path("desk-translation-side-by-side"), full_page=True)
    await page.click("button[value=publish]")
    await page.wait_for_url(f"{base}/desk/posts/*")

    reader = await new_page(browser, "fa")
    await reader.goto(f"{base}/objects/{persian_id}")
    article = reader.locator("article.post")
    await expect(article).to_have_attribute("dir", "rtl")
    await expect(article).to_have_attribute("lang", "fa")
    await expect(reader.locator("html")).to_have_attribute("dir", "rtl")
    await reader.screenshot(path=screenshot_path("bulletin-persian"), full_page=True)
    await reader.click("nav.translations a[hreflang=en]")
    await expect(reader.locator("article.post")).to_have_attribute("dir", "ltr")
    await expect(reader.locator("h1")).to_have_text("Bulletin: June")
    await reader.screenshot(path=screenshot_path("bulletin-english"), full_page=True)


async def test_preview_then_publish_keeps_the_image_and_its_alt_text(
    browser: Browser, live: Site, tmp_path: Path
) -> None:
    base = live.instance.base_url
    picture = tmp_path / "gate.png"
    Image.new("RGB", (120, 80), (180, 40, 40)).save(picture, "PNG")
    page = await new_page(browser, "fa")
    await log_in_with_the_keyboard(page, base, "editor")

    await page.goto(f"{base}/desk/compose?actor=oil_workers&kind=note")
    await page.fill("#p-body", "تجمع کارگران جلوی دروازهٔ پالایشگاه")
    await page.set_input_files("#p-image", str(picture))
    await page.fill("#p-alt", "کارگران با پلاکارد جلوی دروازه")
    await page.click("button[value=preview]")

    preview_image = page.locator(".preview img")
    await expect(preview_image).to_have_attribute("alt", "کارگران با پلاکارد جلوی دروازه")
    box = await page.locator(".preview").bounding_box()
    form = await page.locator("#p-body").bounding_box()
    assert box is not None
    assert form is not None
    assert box["y"] < form["y"]
    await page.screenshot(path=screenshot_path("desk-compose-preview-with-image"), full_page=True)
    await page.click("button[value=publish]")
    await page.wait_for_url(f"{base}/desk/posts/*")

    reader = await new_page(browser, "fa")
    await reader.goto(f"{base}/objects/{page.url.rsplit('/', 1)[1]}")
    await expect(reader.locator("article.post img")).to_have_attribute(
        "alt", "کارگران با پلاکارد جلوی دروازه"
    )


async def test_the_compose_form_saves_itself_while_the_editor_writes(
    browser: Browser, live: Site
) -> None:
    base = live.instance.base_url
    page = await new_page(browser, "en")
    await log_in_with_the_keyboard(page, base, "editor")

    await page.goto(f"{base}/desk/compose?actor=oil_workers&kind=note")
    await page.fill("#p-body", "Notes from the picket line, not finished")
    await expect(page.locator("p.autosave")).to_contain_text("Draft saved at", timeout=10_000)

    await page.goto(f"{base}/desk/drafts")  # the tab closes, the editor comes back later
    await page.click("text=Notes from the picket line")
    await expect(page.locator("#p-body")).to_have_value("Notes from the picket line, not finished")


async def test_a_curator_approves_a_held_item(browser: Browser, live: Site) -> None:
    base = live.instance.base_url
    page = await new_page(browser)
    await log_in_with_the_keyboard(page, base, "curator")

    await page.goto(f"{base}/desk/curation")
    item = page.locator(
        "article.curation-item", has=page.locator(f"a[href='{live.posts['article'].uri}']")
    )
    await expect(item).to_contain_text("held: this member's posts are reviewed by a curator")
    await page.screenshot(path=screenshot_path("desk-curation"), full_page=True)
    await item.locator("input[name=note]").fill("Confirmed with the union")
    await item.locator("button[value=approve]").click()
    await page.wait_for_url(f"{base}/desk/curation?decided=boosted")
    await expect(page.locator("p[role=status]")).to_contain_text("Approved")

    async with live.instance.svc.db.reader() as session:
        decided = await session.scalar(
            select(CurationItem).where(CurationItem.decided_by == "curator")
        )
        article = await session.get(Post, live.posts["article"].id)
    assert decided is not None
    assert decided.state == "boosted"
    assert decided.note == "Confirmed with the union"
    assert article is not None
    home = await new_page(browser, "ar")
    await home.goto(base)
    await expect(home.locator("main")).to_contain_text(
        "النشرة الشهرية"
    )  # now on the network's feed


@pytest.mark.parametrize(
    ("path", "name", "language"),
    [
        ("/", "home", "en"),
        ("/", "home-arabic", "ar"),
        ("/strikes", "strike-tracker-persian", "fa"),
        ("/members", "members", "en"),
        ("/campaigns", "campaigns", "en"),
        ("/events", "events", "fr"),
    ],
)
async def test_main_pages_render_and_are_saved_as_screenshots(
    browser: Browser, live: Site, path: str, name: str, language: str
) -> None:
    page = await new_page(browser, language)

    response = await page.goto(f"{live.instance.base_url}{path}")
    await page.screenshot(path=screenshot_path(name), full_page=True)

    assert response is not None
    assert response.status == 200
    await expect(page.locator("main")).to_be_visible()
    await page.keyboard.press("Tab")
    await expect(page.locator("a.skip")).to_be_focused()  # the first stop is the skip link
    await page.keyboard.press("Enter")  # which moves to the content
    await expect(page).to_have_url(re.compile(r"#main$"))


async def test_a_bulletin_prints_without_navigation_or_forms(browser: Browser, live: Site) -> None:
    page = await new_page(browser, "fa")
    await page.goto(f"{live.instance.base_url}/objects/{live.posts['article'].public_id}")
    await expect(page.locator(".site-header nav")).to_be_visible()

    await page.emulate_media(media="print")

    await expect(page.locator(".site-header nav")).to_be_hidden()
    await expect(page.locator("form.language")).to_be_hidden()
    await expect(page.locator(".share")).to_be_hidden()
    await expect(page.locator(".site-footer")).to_be_hidden()
    await expect(page.locator(".print-only.source")).to_be_visible()  # where the original is
    await expect(page.locator("article.post h1")).to_be_visible()
    await page.screenshot(path=screenshot_path("bulletin-print-media"), full_page=True)


async def test_an_editor_authorizes_a_mastodon_app_on_the_consent_page(
    browser: Browser, live: Site
) -> None:
    base = live.instance.base_url
    callback = "http://127.0.0.1:9/callback"
    app = await live.instance.http.post(
        "/api/v1/apps",
        data={"client_name": "Tusky", "redirect_uris": callback, "scopes": "read write"},
    )
    client_id = app.json()["client_id"]
    page = await new_page(browser, "fa")
    reached: list[str] = []

    async def the_app(route: Route) -> None:  # the app's own page: never a real connection
        reached.append(route.request.url)
        await route.fulfill(status=200, body="ok")

    await page.route(f"{callback}**", the_app)
    await log_in_with_the_keyboard(page, base, "editor")

    await page.goto(
        f"{base}/oauth/authorize?response_type=code&client_id={client_id}"
        f"&redirect_uri={callback}&scope=read+write&state=xyz"
    )
    await expect(page.locator("h1")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Tusky")
    await page.screenshot(path=screenshot_path("desk-oauth-consent-persian"), full_page=True)
    await page.select_option("#o-actor", "oil_workers")
    await page.click("button[value=approve]")
    await page.wait_for_url(f"{callback}**")

    assert len(reached) == 1
    assert "state=xyz" in reached[0]
    assert "code=" in reached[0]
