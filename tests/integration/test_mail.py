"""Bulletins by email, against a real SMTP server on loopback (aiosmtpd): subscribe, confirm
(double opt-in, the confirmation in the reader's language), a Persian bulletin and its English
translation each reach exactly the readers of their language, once, also after the sending
worker dies mid-batch; one-click unsubscribe (RFC 8058); 4xx retried, 5xx counted as a bounce;
STARTTLS or TLS with a password through HAMBASTEGI_SMTP_URL; addresses shown to nobody."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme
from sqlalchemy import select, update

from mail.models import MailMessage, MailState, Subscriber
from mail.sending import MailWorker
from outbox.compose import Draft
from outbox.kinds import PostKind
from outbox.posts import create_post
from tests.integration.mail_support import PASSWORD, USER, Mailbox, smtp_server
from tests.integration.site_support import Site, log_in, site

pytestmark = pytest.mark.db


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[tuple[Site, Mailbox]]:
    with smtp_server() as (box, port):
        async with site(tmp_path, smtp_url=f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}") as s:
            yield s, box


async def ask(s: Site, email: str, languages: list[str], actor: str = "oil_workers") -> object:
    page = await s.http.get(f"/subscribe/{actor}")
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return await s.http.post(
        f"/subscribe/{actor}",
        data={"csrf": token, "email": email, "languages": languages},
        headers={"Origin": s.instance.base_url},
    )


def part(message: EmailMessage, kind: str) -> str:
    found = message.get_body(preferencelist=(kind,))
    assert found is not None, f"no {kind} part"
    return str(found.get_content())


def link(message: EmailMessage, path: str) -> str:
    found = re.search(rf"https?://[^\s\"<>]+{path}[^\s\"<>]+", part(message, "plain"))
    assert found is not None, f"no {path} link"
    return found.group(0)


async def send_all(s: Site) -> None:
    worker = MailWorker(s.instance.svc)
    while await worker.run_once():
        pass


async def confirmed(s: Site, box: Mailbox, email: str, languages: list[str]) -> None:
    response = await ask(s, email, languages)
    assert response.status_code == 200  # type: ignore[attr-defined]
    await send_all(s)
    [mail] = box.to(email)
    target = link(mail, "/mail/confirm/").replace(s.instance.base_url, "")
    assert (await s.http.get(target)).status_code == 200


async def bulletin(s: Site, language: str, title: str, of: str | None = None) -> str:
    post = await create_post(
        s.instance.svc,
        s.union,
        Draft(
            kind=PostKind.article,
            language=language,
            title=title,
            body=f"{title}: workers' news. #bulletin",
            translation_of=of,
        ),
    )
    return post.public_id


async def test_each_reader_gets_their_edition_once_in_their_language(
    relay: tuple[Site, Mailbox],
) -> None:
    s, box = relay
    await confirmed(s, box, "persian@example.org", ["fa"])
    await confirmed(s, box, "english@example.org", ["en"])
    await confirmed(s, box, "both@example.org", ["fa", "en"])
    await ask(s, "never-confirmed@example.org", ["fa"])  # double opt-in: gets nothing more
    confirmation = box.to("persian@example.org")[0]
    assert "تأیید" in str(confirmation["Subject"])  # the confirmation in the reader's language
    box.received.clear()

    persian = await bulletin(s, "fa", "خبرنامهٔ آذر")
    await send_all(s)
    await bulletin(s, "en", "December bulletin", of=persian)
    await send_all(s)
    await send_all(s)  # nothing is left to send twice

    assert [m["Subject"] for m in box.to("persian@example.org")] == ["خبرنامهٔ آذر"]
    assert [m["Subject"] for m in box.to("english@example.org")] == ["December bulletin"]
    assert [m["Subject"] for m in box.to("both@example.org")] == ["خبرنامهٔ آذر"]
    # only its confirmation: no bulletin before the address confirms
    assert ["تأیید" in str(m["Subject"]) for m in box.to("never-confirmed@example.org")] == [True]
    mail = box.to("persian@example.org")[0]
    assert mail.is_multipart()
    html = part(mail, "html")
    assert '<html lang="fa" dir="rtl">' in html
    assert "<img" not in html  # no tracking pixels, no remote images
    assert "کارگران" in part(mail, "plain") or "workers" in part(mail, "plain")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith(f"<{s.instance.base_url}/mail/unsubscribe/")
    assert f"{s.instance.base_url}/objects/{persian}" in part(mail, "plain")


async def test_one_click_unsubscribe_and_the_button_both_forget_the_address(
    relay: tuple[Site, Mailbox],
) -> None:
    s, box = relay
    await confirmed(s, box, "one@example.org", ["en"])
    await confirmed(s, box, "two@example.org", ["en"])
    box.received.clear()
    await bulletin(s, "en", "Bulletin one")
    await send_all(s)
    one, two = box.to("one@example.org")[0], box.to("two@example.org")[0]
    one_click = one["List-Unsubscribe"].strip("<>").replace(s.instance.base_url, "")
    button = link(two, "/mail/unsubscribe/").replace(s.instance.base_url, "")

    shown = await s.http.get(button)  # a link checker's GET changes nothing
    clicked = await s.http.post(
        one_click,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    pressed = await s.http.post(button, headers={"Accept": "text/html"})

    assert shown.status_code == 200
    assert "<form" in shown.text
    assert clicked.status_code == 200
    assert pressed.status_code == 200
    async with s.instance.svc.db.reader() as session:
        assert list(await session.scalars(select(Subscriber.email))) == []
    again = await s.http.post(one_click, content=b"List-Unsubscribe=One-Click")
    assert again.status_code == 404


async def test_a_4xx_is_retried_and_a_5xx_is_a_bounce(relay: tuple[Site, Mailbox]) -> None:
    s, box = relay
    await confirmed(s, box, "busy@example.org", ["en"])
    await confirmed(s, box, "gone@example.org", ["en"])
    box.refuse = {"busy@example.org": "450 mailbox busy", "gone@example.org": "550 no such user"}
    box.refuse_once = {"busy@example.org"}
    box.received.clear()

    await bulletin(s, "en", "Bulletin two")
    await send_all(s)

    async with s.instance.svc.db.reader() as session:
        rows = {
            r.subscriber_id: r
            for r in await session.scalars(
                select(MailMessage).where(MailMessage.kind == "bulletin")
            )
        }
        subscribers = {x.email: x for x in await session.scalars(select(Subscriber))}
    busy = rows[subscribers["busy@example.org"].id]
    gone = rows[subscribers["gone@example.org"].id]
    assert busy.state == MailState.pending
    assert busy.last_error is not None
    assert busy.last_error.startswith("450")
    assert busy.next_attempt_at > s.instance.svc.clock.now()
    assert gone.state == MailState.failed
    assert subscribers["gone@example.org"].bounces == 1
    assert box.received == []

    async with s.instance.svc.db.transaction() as session:  # the retry time comes
        await session.execute(
            update(MailMessage)
            .where(MailMessage.id == busy.id)
            .values(next_attempt_at=busy.created_at)
        )
    await send_all(s)
    assert [m["Subject"] for m in box.to("busy@example.org")] == ["Bulletin two"]


async def test_a_worker_killed_mid_batch_sends_nothing_twice(
    relay: tuple[Site, Mailbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, box = relay
    readers = [f"reader{n}@example.org" for n in range(5)]
    for reader in readers:
        await confirmed(s, box, reader, ["en"])
    box.received.clear()
    await bulletin(s, "en", "Bulletin three")
    original = MailWorker._send_one
    sent = 0

    async def dies_after_two(self: MailWorker, client: object, message_id: int, lease: str) -> None:
        nonlocal sent
        if sent == 2:
            raise SystemExit("the process was killed")
        await original(self, client, message_id, lease)  # type: ignore[arg-type]
        sent += 1

    monkeypatch.setattr(MailWorker, "_send_one", dies_after_two)
    with pytest.raises(SystemExit):
        await MailWorker(s.instance.svc).run_once()
    monkeypatch.setattr(MailWorker, "_send_one", original)
    assert len(box.received) == 2
    async with s.instance.svc.db.transaction() as session:  # the dead worker's lease runs out
        await session.execute(update(MailMessage).values(locked_until=None))
    await send_all(s)

    assert sorted(m["To"] for m in box.received) == readers  # each exactly once


async def test_bad_subscriptions_are_refused_and_addresses_are_shown_to_nobody(
    relay: tuple[Site, Mailbox],
) -> None:
    s, box = relay
    bad_email = await ask(s, "not an address", ["fa"])
    no_language = await ask(s, "x@example.org", [])
    unknown = await s.http.get("/subscribe/nobody")
    await confirmed(s, box, "secret-reader@example.org", ["fa"])
    again = await ask(s, "secret-reader@example.org", ["fa"])  # the same answer as a new one

    assert bad_email.status_code == 400  # type: ignore[attr-defined]
    assert no_language.status_code == 400  # type: ignore[attr-defined]
    assert unknown.status_code == 404
    assert again.status_code == 200  # type: ignore[attr-defined]
    await log_in(s, "editor")
    dashboard = await s.http.get("/desk")
    assert "secret-reader" not in dashboard.text
    assert "Email subscribers" in dashboard.text
    for path in ("/", "/actors/oil_workers", "/about", "/members"):
        assert "secret-reader" not in (await s.http.get(path)).text


async def test_starttls_and_tls_with_a_password_through_one_setting(tmp_path: Path) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    server_tls = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    certificate.configure_cert(server_tls)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    for scheme, implicit in (("smtp", False), ("smtps", True)):
        with smtp_server(tls=server_tls, implicit_tls=implicit) as (box, port):
            async with site(
                tmp_path / scheme,
                smtp_url=f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}",
                ca_bundle=ca_file,
            ) as s:
                await ask(s, "tls@example.org", ["en"])
                await send_all(s)
                async with s.instance.svc.db.reader() as session:
                    errors = list(await session.scalars(select(MailMessage.last_error)))
        assert [m["To"] for m in box.received] == ["tls@example.org"], (scheme, errors)
