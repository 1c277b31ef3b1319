"""Members and join requests: register an organisation wherever it publishes, follow it, and
review applications (approval registers the member, or creates a local organisation for it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actors.directory import ActorError, NewActor, create_local_actor, get_local
from actors.models import Actor, ActorKind
from actors.resolver import ResolveError, resolve_handle
from content.mediastore import MediaStore
from network.models import JoinRequest, JoinState, Member, Trust
from outbox.compose import validate_language
from outbox.follows import FollowError, follow, unfollow
from outbox.kinds import country_codes
from outbox.vocabulary import SECTORS
from runtime.services import Services


class MembershipError(Exception):
    """A membership request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class MemberProfile:
    country: str
    sector: str
    languages: tuple[str, ...] = ()
    trust: Trust = Trust.review
    kinds: tuple[str, ...] = ()
    since: date | None = None
    note: str = ""


def validate_profile(profile: MemberProfile) -> MemberProfile:
    country = profile.country.strip().upper()
    if country not in country_codes():
        raise MembershipError(
            f"country must be an ISO 3166 code such as IR, EG or TN, got {profile.country!r}"
        )
    sector = profile.sector.strip().lower().replace("-", "_").replace(" ", "_")
    if sector not in SECTORS:
        raise MembershipError(f"sector must be one of: {', '.join(SECTORS)}")
    try:
        languages = tuple(validate_language(lang) for lang in profile.languages)
    except ValueError as exc:
        raise MembershipError(str(exc)) from exc
    return MemberProfile(
        country, sector, languages, Trust(profile.trust), profile.kinds, profile.since, profile.note
    )


async def network_actor(session: AsyncSession, username: str) -> Actor:
    try:
        actor = await get_local(session, username)
    except ActorError as exc:
        raise MembershipError(str(exc)) from exc
    if actor.kind != ActorKind.network:
        raise MembershipError(f"{actor.handle} is not a network actor")
    return actor


async def add_member(
    svc: Services, network_name: str, account: str, profile: MemberProfile
) -> Member:
    """Register a member by handle or URL (local or remote), and follow it."""
    profile = validate_profile(profile)
    async with svc.db.reader() as session:
        network = await network_actor(session, network_name)
    try:
        actor = await resolve_handle(svc, _qualified(svc, account))
    except ResolveError as exc:
        raise MembershipError(f"cannot find {account}: {exc}") from exc
    if actor.id == network.id or actor.kind in (ActorKind.network, ActorKind.instance):
        raise MembershipError(f"{actor.handle} cannot be a member")
    async with svc.db.transaction() as session:
        existing = await session.scalar(
            select(Member).where(Member.network_id == network.id, Member.actor_id == actor.id)
        )
        if existing is not None:
            raise MembershipError(f"{actor.handle} is already a member")
        member = _member(svc, network.id, actor.id, profile)
        session.add(member)
        await session.flush()
    try:
        await follow(svc, network, actor)
    except FollowError as exc:
        raise MembershipError(str(exc)) from exc
    return member


def _qualified(svc: Services, account: str) -> str:
    """A bare username names one of our own organisations."""
    text = account.strip().removeprefix("@")
    if "@" in text or "://" in text:
        return account
    return f"{text}@{svc.settings.host}"


def _member(svc: Services, network_id: int, actor_id: int, profile: MemberProfile) -> Member:
    return Member(
        network_id=network_id,
        actor_id=actor_id,
        country=profile.country,
        sector=profile.sector,
        languages=list(profile.languages),
        kinds=list(profile.kinds),
        trust=profile.trust,
        since=profile.since or svc.clock.now().date(),
        note=profile.note,
        created_at=svc.clock.now(),
    )


async def remove_member(svc: Services, network_name: str, account: str) -> None:
    async with svc.db.reader() as session:
        network = await network_actor(session, network_name)
        member, actor = await find_member(session, network, account)
    async with svc.db.transaction() as session:
        row = await session.get(Member, member.id)
        if row is not None:
            await session.delete(row)
    await unfollow(svc, network, actor)


async def set_trust(svc: Services, network_name: str, account: str, trust: Trust) -> Member:
    async with svc.db.transaction() as session:
        network = await network_actor(session, network_name)
        member, _actor = await find_member(session, network, account)
        member.trust = trust
        return member


async def find_member(session: AsyncSession, network: Actor, account: str) -> tuple[Member, Actor]:
    wanted = account.strip().removeprefix("@").lower()
    rows = await session.execute(
        select(Member, Actor)
        .join(Actor, Actor.id == Member.actor_id)
        .where(Member.network_id == network.id)
    )
    for member, actor in rows.all():
        if wanted in (
            actor.uri.lower(),
            f"{actor.username}@{actor.domain}".lower(),
            actor.username.lower(),
        ):
            return member, actor
    raise MembershipError(f"{account} is not a member of {network.handle}")


async def list_members(
    session: AsyncSession, network: Actor, *, country: str | None = None, sector: str | None = None
) -> list[tuple[Member, Actor]]:
    query = (
        select(Member, Actor)
        .join(Actor, Actor.id == Member.actor_id)
        .where(Member.network_id == network.id)
    )
    if country:
        query = query.where(Member.country == country.upper())
    if sector:
        query = query.where(Member.sector == sector)
    rows = await session.execute(query.order_by(Member.country, Actor.display_name))
    return [(m, a) for m, a in rows.all()]


async def memberships_of(session: AsyncSession, actor_id: int) -> list[tuple[Member, Actor]]:
    """Every local network this actor is a member of, with the network actor."""
    rows = await session.execute(
        select(Member, Actor)
        .join(Actor, Actor.id == Member.network_id)
        .where(Member.actor_id == actor_id)
    )
    return [(m, a) for m, a in rows.all()]


# -- join requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    organisation: str
    contact: str
    profile: MemberProfile
    account: str | None = None  # an existing fediverse account, if they have one
    description: str = ""


async def apply_to_join(svc: Services, network_name: str, application: Application) -> JoinRequest:
    profile = validate_profile(application.profile)
    name = application.organisation.strip()
    contact = application.contact.strip()
    if not name or len(name) > 300:
        raise MembershipError("the organisation's name is required (at most 300 characters)")
    if not contact or len(contact) > 300:
        raise MembershipError("a contact (e-mail, Signal, fediverse handle…) is required")
    if len(application.description) > 5000:
        raise MembershipError("the description is longer than 5,000 characters")
    async with svc.db.transaction() as session:
        network = await network_actor(session, network_name)
        request = JoinRequest(
            network_id=network.id,
            organisation=name,
            contact=contact,
            account=(application.account or "").strip() or None,
            country=profile.country,
            sector=profile.sector,
            languages=list(profile.languages),
            description=application.description.strip(),
            state=JoinState.pending,
            created_at=svc.clock.now(),
        )
        session.add(request)
        await session.flush()
        return request


async def list_join_requests(
    session: AsyncSession, network: Actor, states: Sequence[JoinState] = (JoinState.pending,)
) -> list[JoinRequest]:
    return list(
        await session.scalars(
            select(JoinRequest)
            .where(
                JoinRequest.network_id == network.id,
                JoinRequest.state.in_(states),
            )
            .order_by(JoinRequest.id)
        )
    )


async def approve_join(
    svc: Services,
    request_id: int,
    *,
    username: str | None = None,
    trust: Trust = Trust.review,
    note: str = "",
) -> Member:
    """Register the applicant: their existing account, or a new local organisation `username`."""
    async with svc.db.reader() as session:
        request = await session.get(JoinRequest, request_id)
        if request is None or request.state != JoinState.pending:
            raise MembershipError(f"no pending join request #{request_id}")
        network = await session.get(Actor, request.network_id)
    if network is None:
        raise MembershipError("the network actor is gone")
    profile = MemberProfile(request.country, request.sector, tuple(request.languages), trust)
    if request.account:
        member = await add_member(svc, network.username, request.account, profile)
    else:
        if not username:
            raise MembershipError(
                "they have no fediverse account yet: give --username for a new organisation"
            )
        async with svc.db.transaction() as session:
            actor = await create_local_actor(
                session,
                svc.uris,
                svc.clock,
                svc.settings.secret_key,
                MediaStore(svc.settings.media_dir),
                NewActor(
                    username=username,
                    kind=ActorKind.organization,
                    display_name=request.organisation,
                    summary=request.description,
                    language=(request.languages or [""])[0],
                ),
            )
        member = await add_member(svc, network.username, actor.uri, profile)
    async with svc.db.transaction() as session:
        row = await session.get(JoinRequest, request_id)
        if row is not None:
            row.state = JoinState.approved
            row.member_id = member.id
            row.decision_note = note
            row.decided_at = svc.clock.now()
    return member


async def reject_join(svc: Services, request_id: int, note: str) -> JoinRequest:
    async with svc.db.transaction() as session:
        request = await session.get(JoinRequest, request_id)
        if request is None or request.state != JoinState.pending:
            raise MembershipError(f"no pending join request #{request_id}")
        request.state = JoinState.rejected
        request.decision_note = note
        request.decided_at = svc.clock.now()
        return request
