"""Remote actors: fetch (signed as our instance actor), validate, cache, refresh; WebFinger handles.

Order of checks: never fetch something that claims to be ours; refuse blocked domains before
any network access; the fetched document's id must be the URL we asked for (on the same origin).
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from actors.directory import ensure_instance_actor, find_by_uri, find_local
from actors.domains import check_domain
from actors.keycache import forget_key
from actors.keystore import SigningKeys, signing_key
from actors.models import Actor, ActorKind
from content.html import sanitise_html
from core.uris import authority
from federation import webfinger
from federation.documents import RemoteActor, is_http_uri, parse_actor, parse_public_key
from federation.errors import FetchError, InvalidDocument
from federation.keys import SigningKey
from runtime.services import Services

log = logging.getLogger(__name__)
ACTOR_MAX_AGE = timedelta(days=1)


class ResolveError(Exception):
    """No usable actor (or key) could be had; the message says why."""

    def __init__(self, message: str, *, is_permanent: bool = True) -> None:
        super().__init__(message)
        self.is_permanent = is_permanent


async def instance_signer(svc: Services) -> SigningKey:
    """The key our instance actor signs fetches with: read once (start-up makes the actor), so
    a fetch never takes the database's write lock."""
    keys = svc.component(SigningKeys)
    if keys.instance is not None:
        return keys.instance
    async with svc.db.reader() as session:
        actor = await session.scalar(select(Actor).where(Actor.kind == ActorKind.instance))
    if actor is None:  # a database that was never started: make it
        async with svc.db.transaction() as session:
            actor = await ensure_instance_actor(
                session, svc.uris, svc.clock, svc.settings.secret_key
            )
    keys.instance = signing_key(actor, svc.settings.secret_key, keys)
    return keys.instance


async def fetch_remote_actor(svc: Services, uri: str) -> tuple[RemoteActor, dict[str, object]]:
    if svc.uris.is_ours(uri):
        raise ResolveError(f"{uri} claims to be on this server")
    await check_domain(svc, authority(uri))
    try:
        fetched = await svc.client.fetch_document(uri, signer=await instance_signer(svc))
        return parse_actor(fetched.document), fetched.document
    except FetchError as exc:
        raise ResolveError(str(exc), is_permanent=exc.is_permanent) from exc
    except InvalidDocument as exc:
        raise ResolveError(f"{uri}: {exc}") from exc


async def store_remote_actor(
    session: AsyncSession, svc: Services, data: RemoteActor, document: dict[str, object]
) -> Actor:
    """Insert or refresh the cached copy of a remote actor."""
    now = svc.clock.now()
    actor = await find_by_uri(session, data.uri)
    if actor is None:
        actor = Actor(
            uri=data.uri, kind=ActorKind.remote, published=now, fields=[], also_known_as=[]
        )
        session.add(actor)
    elif actor.is_local:
        raise ResolveError(f"{data.uri} is one of ours")
    actor.as_type = data.type
    actor.username = data.username
    actor.domain = authority(data.uri)
    actor.display_name = data.name
    actor.summary = sanitise_html(data.summary)
    actor.url = data.url
    actor.inbox_uri = data.inbox
    actor.shared_inbox_uri = data.shared_inbox
    actor.outbox_uri = data.outbox
    actor.followers_uri = data.followers
    actor.following_uri = data.following
    actor.featured_uri = data.featured
    if data.key is not None:
        if (actor.key_id and actor.key_id != data.key.key_id) or (
            actor.public_key_pem and actor.public_key_pem != data.key.pem
        ):
            log.info("key change actor_uri=%s key_id=%s", data.uri, data.key.key_id)
            forget_key(svc, actor.key_id)
        actor.key_id = data.key.key_id
        actor.public_key_pem = data.key.pem
    actor.icon_url = data.icon_url
    actor.image_url = data.image_url
    actor.manually_approves_followers = data.manually_approves_followers
    actor.discoverable = data.discoverable
    actor.also_known_as = list(data.also_known_as)
    actor.moved_to_uri = data.moved_to
    actor.fields = [{"name": n, "value": sanitise_html(v)} for n, v in data.fields]
    actor.document = dict(document)
    actor.fetched_at = now
    actor.updated_at = now
    actor.deleted_at = None
    await session.flush()
    return actor


async def _keep(svc: Services, data: RemoteActor, document: dict[str, object]) -> Actor:
    """Store what was fetched. Two requests signed by the same new actor can arrive at once
    (a server fetching two documents): both fetch it, one inserts first, and the other's insert
    then fails on the unique URI. That one tries again, and refreshes the row that is there."""
    try:
        async with svc.db.transaction() as session:
            return await store_remote_actor(session, svc, data, document)
    except IntegrityError:
        async with svc.db.transaction() as session:
            return await store_remote_actor(session, svc, data, document)


def is_fresh(svc: Services, actor: Actor) -> bool:
    """Is our copy of a remote actor good to use without fetching it again?"""
    return (
        actor.deleted_at is None
        and actor.fetched_at is not None
        and svc.clock.now() - actor.fetched_at < ACTOR_MAX_AGE
    )


async def fresh_actors(session: AsyncSession, svc: Services, uris: list[str]) -> list[Actor]:
    """Of these remote actors, the ones `resolve_actor` would give without fetching, in one
    read (the inbox worker asks this once for a whole batch of senders)."""
    remote = sorted({uri for uri in uris if not svc.uris.is_ours(uri)})
    if not remote:
        return []
    found = await session.scalars(select(Actor).where(Actor.uri.in_(remote)))
    return [actor for actor in found if is_fresh(svc, actor)]


async def resolve_actor(svc: Services, uri: str, *, refresh: bool = False) -> Actor:
    """Our copy of an actor, fetched when unknown, stale, or when `refresh` is asked for."""
    if not is_http_uri(uri):
        raise ResolveError(f"not an actor URI: {uri!r}")
    if svc.uris.is_ours(uri):
        async with svc.db.reader() as session:
            local = await find_by_uri(session, uri)
        if local is None:
            raise ResolveError(f"no actor {uri} on this server")
        return local
    if not refresh:
        async with svc.db.reader() as session:
            cached = await find_by_uri(session, uri)
        if cached is not None and is_fresh(svc, cached):
            return cached
    data, document = await fetch_remote_actor(svc, uri)
    return await _keep(svc, data, document)


async def resolve_key_owner(svc: Services, key_id: str, *, refresh: bool = False) -> Actor:
    """The actor publishing `key_id`: `actor#main-key`, a separate key document, or the actor."""
    if not is_http_uri(key_id):
        raise ResolveError(f"keyId is not an http(s) URI: {key_id!r}")
    if not refresh:
        async with svc.db.reader() as session:
            found = await session.scalar(
                select(Actor).where(Actor.key_id == key_id, Actor.deleted_at.is_(None))
            ) or await session.scalar(
                select(Actor).where(Actor.uri == key_id, Actor.deleted_at.is_(None))
            )
        if found is not None and found.public_key_pem:
            return found
    if svc.uris.is_ours(key_id):
        raise ResolveError(f"keyId {key_id} claims to be on this server")
    await check_domain(svc, authority(key_id))
    document_uri = key_id.split("#", 1)[0]
    try:
        fetched = await svc.client.fetch_document(document_uri, signer=await instance_signer(svc))
    except FetchError as exc:
        raise ResolveError(
            f"cannot fetch key {key_id}: {exc}", is_permanent=exc.is_permanent
        ) from exc
    document = fetched.document
    if "inbox" in document:  # the key sits in the actor document
        try:
            data = parse_actor(document)
        except InvalidDocument as exc:
            raise ResolveError(f"{document_uri}: {exc}") from exc
        if data.key is None or key_id not in (data.key.key_id, data.uri):
            raise ResolveError(f"{data.uri} does not publish the key {key_id}")
        return await _keep(svc, data, document)
    key = parse_public_key(document, str(document.get("owner", "")))
    if key is None or key.key_id != key_id:
        raise ResolveError(f"{document_uri} is neither an actor nor a key owned by one")
    # A key on another server than its owner is accepted only when the owner's document,
    # fetched from the owner's own server (where domain policy applies too), names it.
    owner = await resolve_actor(svc, key.owner, refresh=True)
    if owner.key_id != key_id:
        raise ResolveError(f"{owner.uri} does not point back at key {key_id}")
    return owner


async def resolve_handle(svc: Services, handle: str) -> Actor:
    """`user@host` (or an actor URL) → actor, through WebFinger as Mastodon does it."""
    if is_http_uri(handle):
        return await resolve_actor(svc, handle)
    try:
        acct = webfinger.parse_acct(handle)
    except webfinger.InvalidResource as exc:
        raise ResolveError(str(exc)) from exc
    if acct.host == svc.settings.host:
        async with svc.db.reader() as session:
            local = await find_local(session, acct.username)
        if local is None:
            raise ResolveError(f"no actor @{acct.username} on this server")
        return local
    await check_domain(svc, acct.host)
    jrd = await _webfinger(svc, acct)
    actor_uri = webfinger.self_link(jrd)
    if actor_uri is None:
        raise ResolveError(f"WebFinger for {acct} has no ActivityPub self link")
    # The host the user named vouches for the actor it points at (split-domain setups point
    # elsewhere); that is the trust a handle carries.
    return await resolve_actor(svc, actor_uri)


async def interaction_template(svc: Services, who: str) -> str:
    """Where someone's own server lets them follow or answer a thing they found here: from
    `user@host`, the `subscribe` template of their WebFinger (Mastodon's and others'); from a
    bare server name, or when WebFinger names none, that server's `/authorize_interaction`
    (Mastodon's path). Only the WebFinger of the server they named is fetched."""
    text = who.strip().removeprefix("@")
    if "@" in text:
        try:
            acct = webfinger.parse_acct(text)
        except webfinger.InvalidResource as exc:
            raise ResolveError(str(exc)) from exc
        host = acct.host
        await check_domain(svc, host)
        template = webfinger.subscribe_template(await _webfinger(svc, acct))
        if template is not None:
            return template
    else:
        host = text.lower().removeprefix("https://").removeprefix("http://").strip("/")
        try:
            webfinger.parse_acct(f"someone@{host}")
        except webfinger.InvalidResource as exc:
            raise ResolveError(f"not a server name: {who!r}") from exc
        if "." not in host and ":" not in host:  # a name of the fediverse has a dot
            raise ResolveError(f"not a server name: {who!r}")
        await check_domain(svc, host)
    return f"{schemes_for(svc, host)[0]}://{host}/authorize_interaction?uri={{uri}}"


async def _webfinger(svc: Services, acct: webfinger.Acct) -> dict[str, object]:
    path = f"/.well-known/webfinger?resource={quote(str(acct), safe=':@')}"
    schemes = schemes_for(svc, acct.host)
    last: FetchError | None = None
    for scheme in schemes:
        try:
            return await svc.client.fetch_json(
                f"{scheme}://{acct.host}{path}", accept="application/jrd+json"
            )
        except FetchError as exc:
            last = exc
            if exc.status is not None:
                break
    raise ResolveError(f"WebFinger lookup of {acct} failed: {last}", is_permanent=False)


def schemes_for(svc: Services, host: str) -> list[str]:
    """https, except in local development, where loopback peers may speak plain http."""
    if not svc.settings.allow_private_network:
        return ["https"]
    return ["http", "https"] if _is_ip_literal(host) else ["https", "http"]


def _is_ip_literal(host: str) -> bool:
    name = (
        host.rsplit(":", 1)[0].strip("[]") if not host.startswith("[") else host[1:].split("]")[0]
    )
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
