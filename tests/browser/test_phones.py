"""On a phone (390 px wide, as an iPhone 12–15 shows pages) and a laptop (1366 px), in English,
Persian and Arabic: no public or desk page scrolls sideways. Screenshots go to
tests/screenshots/ for a reviewer."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, ViewportSize

from tests.browser.conftest import screenshot_path
from tests.integration.site_support import PASSWORD, Site

pytestmark = pytest.mark.browser
PHONE = ViewportSize(width=390, height=844)
LAPTOP = ViewportSize(width=1366, height=768)
SCREENS = {"phone": PHONE, "laptop": LAPTOP}


def public_pages(live: Site) -> list[str]:
    post = live.posts["article"].uri.removeprefix(live.instance.base_url)
    return [
        "/",
        "/members",
        "/strikes",
        "/campaigns",
        "/events",
        "/bulletins",
        "/about",
        "/join",
        "/search?q=workers",
        "/actors/oil_workers",
        post,
        f"/interact?uri={live.union.uri}",
        "/subscribe/oil_workers",
        "/mirrors",
        "/desk/login",
    ]


@pytest.mark.parametrize("screen", ["phone", "laptop"])
@pytest.mark.parametrize("language", ["en", "fa", "ar"])
async def test_no_public_page_scrolls_sideways(
    browser: Browser, live: Site, language: str, screen: str
) -> None:
    size = SCREENS[screen]
    context = await browser.new_context(
        viewport=size,
        device_scale_factor=2 if screen == "phone" else 1,
        is_mobile=screen == "phone",
        extra_http_headers={"Accept-Language": language},
    )
    page = await context.new_page()
    too_wide: dict[str, int] = {}
    for path in public_pages(live):
        await page.goto(f"{live.instance.base_url}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > size["width"]:
            too_wide[path] = width
        if path in ("/", "/actors/oil_workers"):
            name = "home" if path == "/" else "profile"
            await page.screenshot(
                path=screenshot_path(f"{screen}-{name}-{language}"), full_page=True
            )
    await context.close()

    assert too_wide == {}


DESK_PAGES = [
    "/desk",
    "/desk/compose?actor=oil_workers&kind=strike",
    "/desk/followers",
    "/desk/drafts",
    "/desk/profile/oil_workers",
    "/desk/apps",
    "/desk/attending",
]


@pytest.mark.parametrize("screen", ["phone", "laptop"])
@pytest.mark.parametrize("language", ["en", "fa", "ar"])
async def test_no_desk_page_scrolls_sideways(
    browser: Browser, live: Site, language: str, screen: str
) -> None:
    base = live.instance.base_url
    size = SCREENS[screen]
    context = await browser.new_context(
        viewport=size,
        is_mobile=screen == "phone",
        extra_http_headers={"Accept-Language": language},
    )
    page = await context.new_page()
    await page.goto(f"{base}/desk/login")
    await page.fill("#l-user", "editor")
    await page.fill("#l-pass", PASSWORD)
    await page.press("#l-pass", "Enter")
    await page.wait_for_url(f"{base}/desk")
    too_wide: dict[str, int] = {}
    for path in DESK_PAGES:
        await page.goto(f"{base}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > size["width"]:
            too_wide[path] = width
    await page.screenshot(path=screenshot_path(f"{screen}-desk-{language}"), full_page=True)
    await context.close()

    assert too_wide == {}
