"""The emails themselves: multipart (plain text, and HTML with the edition's `lang` and
`dir`), a link to the web page, one-click unsubscribe (RFC 8058). No images, no tracking
pixels, no rewritten links: what a reader opens tells nobody anything."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from html import escape

from actors.models import Actor
from content.html import html_to_text
from content.i18n import text_direction
from mail.models import Subscriber
from mail.subscriptions import token
from outbox.models import Post
from runtime.services import Services


def _envelope(
    svc: Services, actor: Actor, subscriber: Subscriber, subject: str, message_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((actor.display_name or actor.username, svc.settings.sender))
    message["To"] = subscriber.email
    message["Subject"] = subject
    message["Date"] = format_datetime(svc.clock.now())
    message["Message-ID"] = f"<{message_id}@{svc.settings.hostname or 'localhost'}>"
    message["Auto-Submitted"] = "auto-generated"
    return message


def _html(language: str, title: str, body: str) -> str:
    direction = text_direction(language)
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}" dir="{direction}">'
        f'<head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f'<body dir="{direction}" style="font-family: sans-serif; line-height: 1.6; '
        f'max-width: 40em; margin: auto;">{body}</body></html>\n'
    )


def confirmation(
    svc: Services, actor: Actor, subscriber: Subscriber, language: str, message_id: str
) -> EmailMessage:
    _ = svc.catalogs.get(language).gettext
    name = actor.display_name or actor.username
    confirm = token(svc.settings.secret_key, subscriber, "confirm")
    link = f"{svc.settings.base_url}/mail/confirm/{confirm}"
    subject = _("Confirm your subscription to %(name)s") % {"name": name}
    asked = _("Someone (we hope you) asked to receive the bulletins of %(name)s by email.") % {
        "name": name
    }
    act = _("To confirm, open this link:")
    ignore = _("If it was not you, ignore this email: nothing more will be sent.")
    message = _envelope(svc, actor, subscriber, subject, message_id)
    message.set_content(f"{asked}\n\n{act}\n{link}\n\n{ignore}\n")
    message.add_alternative(
        _html(
            language,
            subject,
            f"<p>{escape(asked)}</p><p>{escape(act)}<br>"
            f'<a href="{escape(link)}">{escape(link)}</a></p><p>{escape(ignore)}</p>',
        ),
        subtype="html",
    )
    return message


def bulletin(
    svc: Services, actor: Actor, subscriber: Subscriber, post: Post, message_id: str
) -> EmailMessage:
    _ = svc.catalogs.get(post.language).gettext
    unsubscribe = (
        f"{svc.settings.base_url}/mail/unsubscribe/"
        f"{token(svc.settings.secret_key, subscriber, 'unsubscribe')}"
    )
    title = post.title or (actor.display_name or actor.username)
    body_html = post.body_html or post.content_html
    read_on_web = _("Read it on the web")
    leave = _("Unsubscribe")
    why = _("You receive this because you subscribed to the bulletins of %(name)s.") % {
        "name": actor.display_name or actor.username
    }
    message = _envelope(svc, actor, subscriber, title, message_id)
    message["List-Id"] = formataddr(
        (actor.display_name or actor.username, f"{actor.username}.{svc.settings.hostname}")
    )
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Content-Language"] = post.language
    text = html_to_text(body_html)
    message.set_content(
        f"{title}\n\n{text}\n\n{read_on_web}: {post.uri}\n\n-- \n{why}\n{leave}: {unsubscribe}\n"
    )
    message.add_alternative(
        _html(
            post.language,
            title,
            f"<h1>{escape(title)}</h1>{body_html}"
            f'<p><a href="{escape(post.uri)}">{escape(read_on_web)}</a></p><hr>'
            f'<p style="font-size: small">{escape(why)} '
            f'<a href="{escape(unsubscribe)}">{escape(leave)}</a></p>',
        ),
        subtype="html",
    )
    return message
