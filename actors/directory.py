"""Use-cases for our own actors: create, find, list, and the instance actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.keystore import ensure_proof_key, seal_new_key
from actors.models import AS_TYPE_OF_KIND, Actor, ActorKind
from content.avatars import identicon_png
from content.html import plain_text_to_html
from content.mediastore import MediaStore
from core.clock import Clock
from core.uris import INSTANCE_ACTOR_USERNAME, USERNAME_RE, Uris, authority

RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "actor",
        "actors",
        "inbox",
        "outbox",
        "api",
        "desk",
        "media",
        "static",
        "tags",
        "nodeinfo",
        "well-known",
        "about",
        "relay",
        "support",
        "root",
        "system",
    }
)


class ActorError(Exception):
    """A request about our actors that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class NewActor:
    username: str
    kind: ActorKind
    display_name: str = ""
    summary: str = ""  # plain text
    language: str = ""
    manually_approves_followers: bool = False
    hide_collections: bool = False
    safety_profile: bool = True  # on by default for new organisations
    edition_of: str | None = None  # username of the organisation this is a language edition of


def validate_username(username: str, *, allow_reserved: bool = False) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise ActorError(
            f"invalid username {username!r}: use 1-30 lower-case letters, digits or underscores"
        )
    if name in RESERVED_USERNAMES and not allow_reserved:
        raise ActorError(f"the username {name!r} is reserved")
    return name


async def create_local_actor(
    session: AsyncSession,
    uris: Uris,
    clock: Clock,
    secret_key: str,
    media: MediaStore,
    new: NewActor,
    *,
    allow_reserved: bool = False,
) -> Actor:
    if new.kind not in (ActorKind.organization, ActorKind.network, ActorKind.relay):
        raise ActorError(f"cannot create an actor of kind {new.kind}")
    username = validate_username(new.username, allow_reserved=allow_reserved)
    if await find_local(session, username) is not None:
        raise ActorError(f"an actor named {username!r} already exists")
    parent = await _edition_parent(session, new)
    uri = uris.actor(username)
    actor = _new_local(uris, clock, secret_key, uri=uri, username=username, kind=new.kind)
    actor.display_name = new.display_name.strip() or username
    actor.summary = plain_text_to_html(new.summary)
    actor.language = new.language
    actor.url = uris.profile_page(username)
    actor.manually_approves_followers = new.manually_approves_followers
    actor.hide_collections = new.hide_collections
    # A network exists to be read: only organisations get the profile by default.
    actor.safety_profile = new.safety_profile and new.kind == ActorKind.organization
    actor.icon_url = uris.media(media.save(identicon_png(uri), "png"))
    if parent is not None:
        actor.edition_of_id = parent.id
        actor.display_name = new.display_name.strip() or f"{parent.display_name} ({new.language})"
        actor.icon_url = parent.icon_url
        actor.safety_profile = parent.safety_profile  # an edition is as exposed as its parent
    session.add(actor)
    await session.flush()
    return actor


async def _edition_parent(session: AsyncSession, new: NewActor) -> Actor | None:
    if new.edition_of is None:
        return None
    parent = await find_local(session, new.edition_of)
    if parent is None or parent.kind != ActorKind.organization or parent.edition_of_id is not None:
        raise ActorError(f"{new.edition_of!r} is not one of our organisations")
    if new.kind != ActorKind.organization:
        raise ActorError("a language edition is an organisation actor")
    if not new.language:
        raise ActorError("a language edition needs --language")
    return parent


async def editions_of(session: AsyncSession, actor_id: int) -> list[Actor]:
    return list(
        await session.scalars(
            select(Actor).where(Actor.edition_of_id == actor_id, Actor.deleted_at.is_(None))
        )
    )


def _new_local(
    uris: Uris, clock: Clock, secret_key: str, *, uri: str, username: str, kind: ActorKind
) -> Actor:
    public_pem, sealed = seal_new_key(secret_key)
    now = clock.now()
    actor = Actor(
        uri=uri,
        kind=kind,
        as_type=AS_TYPE_OF_KIND[kind],
        username=username,
        domain=authority(uris.base_url),
        inbox_uri=uris.inbox(uri),
        shared_inbox_uri=uris.shared_inbox(),
        outbox_uri=uris.outbox(uri),
        followers_uri=uris.followers(uri),
        following_uri=uris.following(uri),
        featured_uri=uris.featured(uri),
        key_id=uris.key_id(uri),
        public_key_pem=public_pem,
        private_key_sealed=sealed,
        fields=[],
        also_known_as=[],
        published=now,
        updated_at=now,
    )
    ensure_proof_key(actor, secret_key)
    return actor


async def instance_started(session: AsyncSession) -> datetime:
    """When this instance began: its instance actor's `published` (made when it first started;
    the Unix epoch if it never has)."""
    found = await session.scalar(
        select(Actor.published).where(Actor.kind == ActorKind.instance).limit(1)
    )
    return found if found is not None else datetime.fromtimestamp(0, UTC)


async def ensure_instance_actor(
    session: AsyncSession, uris: Uris, clock: Clock, secret_key: str
) -> Actor:
    """The `Application` actor that signs our server-level fetches; made on first use."""
    found = await session.scalar(select(Actor).where(Actor.kind == ActorKind.instance))
    if found is not None:
        return found
    actor = _new_local(
        uris,
        clock,
        secret_key,
        uri=uris.instance_actor(),
        username=INSTANCE_ACTOR_USERNAME,
        kind=ActorKind.instance,
    )
    actor.display_name = "Hambastegi instance actor"
    actor.url = uris.base_url + "/about"
    actor.manually_approves_followers = True
    actor.discoverable = False
    actor.indexable = False
    session.add(actor)
    await session.flush()
    return actor


async def find_local(session: AsyncSession, username: str) -> Actor | None:
    return await session.scalar(
        select(Actor).where(
            Actor.kind != ActorKind.remote,
            Actor.username == username.lower(),
            Actor.deleted_at.is_(None),
        )
    )


async def get_local(session: AsyncSession, username: str) -> Actor:
    actor = await find_local(session, username)
    if actor is None or actor.kind == ActorKind.instance:
        raise ActorError(f"no actor named {username!r} on this instance")
    return actor


async def list_local(session: AsyncSession) -> list[Actor]:
    result = await session.scalars(
        select(Actor)
        .where(
            Actor.kind.in_([ActorKind.organization, ActorKind.network]), Actor.deleted_at.is_(None)
        )
        .order_by(Actor.username)
    )
    return list(result)


async def find_by_uri(session: AsyncSession, uri: str) -> Actor | None:
    return await session.scalar(select(Actor).where(Actor.uri == uri))
