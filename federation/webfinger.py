"""WebFinger (RFC 7033) resources and JRD documents, plus host-meta (RFC 6415)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import quoteattr

from federation.vocab import ACTIVITY_JSON, JsonObject

_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class InvalidResource(ValueError):
    """A WebFinger resource or handle that cannot be parsed."""


@dataclass(frozen=True)
class Acct:
    username: str
    host: str  # authority: host[:port], lower case

    def __str__(self) -> str:
        return f"acct:{self.username}@{self.host}"

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.host}"


def parse_acct(resource: str) -> Acct:
    """Parse `acct:user@host`, `user@host` or `@user@host` (host may carry a port)."""
    text = unquote(resource.strip())
    if text.startswith("acct:"):
        text = text[5:]
    text = text.removeprefix("@")
    username, sep, host = text.rpartition("@")
    if not sep or not username or not host or "@" in username:
        raise InvalidResource(f"not a user@host handle: {resource!r}")
    if any(c.isspace() or c in "/?#" for c in username + host):
        raise InvalidResource(f"not a user@host handle: {resource!r}")
    try:
        parts = urlsplit(f"//{host}")
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise InvalidResource(f"bad host in handle: {resource!r}") from exc
    if not parts.hostname:
        raise InvalidResource(f"bad host in handle: {resource!r}")
    return Acct(username=username, host=host.lower())


def parse_resource(resource: str | None) -> Acct | str:
    """A WebFinger query's resource (RFC 7033 §4.5: a URI): `acct:user@host` becomes `Acct`;
    an http(s) URL is returned as is. Anything else (a bare `user@host`, a malformed URL) is
    `InvalidResource`, which the endpoint answers with 400."""
    if resource is None or not resource.strip():
        raise InvalidResource("the resource parameter is required")
    text = resource.strip()
    if text.lower().startswith(("http://", "https://")):
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - validates the port
        except ValueError as exc:
            raise InvalidResource(f"not a URL: {resource!r}") from exc
        if not parts.hostname or any(c.isspace() for c in text):
            raise InvalidResource(f"not a URL: {resource!r}")
        return text
    if text.lower().startswith("acct:"):
        return parse_acct("acct:" + text[5:])
    raise InvalidResource(
        f"unsupported resource {resource!r}: expected acct:user@host or an http(s) URL"
    )


SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"


def build_jrd(
    acct: Acct, actor_uri: str, profile_url: str, subscribe_template: str | None = None
) -> JsonObject:
    """The JRD of an actor; `subscribe_template` (with `{uri}`) is where its server lets the
    account's people follow or answer something they found elsewhere (Mastodon's
    `authorize_interaction`)."""
    links: list[JsonObject] = [
        {"rel": "self", "type": ACTIVITY_JSON, "href": actor_uri},
        {
            "rel": "http://webfinger.net/rel/profile-page",
            "type": "text/html",
            "href": profile_url,
        },
    ]
    if subscribe_template is not None:
        links.append({"rel": SUBSCRIBE_REL, "template": subscribe_template})
    return {"subject": str(acct), "aliases": [actor_uri, profile_url], "links": links}


def subscribe_template(jrd: JsonObject) -> str | None:
    """The interaction template of a JRD: an http(s) URL with `{uri}` in it, or None."""
    for link in jrd.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != SUBSCRIBE_REL:
            continue
        template = link.get("template")
        if (
            isinstance(template, str)
            and "{uri}" in template
            and template.startswith(("https://", "http://"))
        ):
            return template
    return None


def self_link(jrd: JsonObject) -> str | None:
    """The ActivityPub actor URL of a JRD: the `self` link with an ActivityStreams type."""
    for link in jrd.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        media = str(link.get("type") or "")
        if media.startswith((ACTIVITY_JSON, "application/ld+json")) and isinstance(
            link.get("href"), str
        ):
            return str(link["href"])
    return None


def host_meta_xrd(base_url: str) -> str:
    template = quoteattr(f"{base_url}/.well-known/webfinger?resource={{uri}}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="application/xrd+xml" template={template}/>\n'
        "</XRD>\n"
    )


def host_meta_json(base_url: str) -> JsonObject:
    return {
        "links": [
            {
                "rel": "lrdd",
                "type": "application/jrd+json",
                "template": f"{base_url}/.well-known/webfinger?resource={{uri}}",
            }
        ]
    }
