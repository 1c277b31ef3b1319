"""Logging in and out of the editors' desk: password check with per-account throttling, server-side
sessions (hashed tokens, rotated at login), CSRF tokens, and what each user may do."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Grant, LoginThrottle, Role, Session, User
from accounts.users import hash_password, totp_matches, verify_password
from core.clock import Clock
from storage.database import Database

SESSION_LIFETIME = timedelta(days=14)


class LoginRefused(Exception):
    """Wrong name or password, or too many attempts; the message is safe to show."""


@dataclass(frozen=True)
class Identity:
    """Who is logged in and what they may do."""

    user_id: int
    username: str
    is_admin: bool
    csrf_token: str
    editor_of: frozenset[int]  # actor ids
    curator_of: frozenset[int]  # network actor ids

    def can_edit(self, actor_id: int) -> bool:
        return self.is_admin or actor_id in self.editor_of

    def can_curate(self, network_id: int) -> bool:
        return self.is_admin or network_id in self.curator_of


@cache
def _dummy_hash() -> str:
    """An unknown name costs the same hashing time as a known one."""
    return hash_password("not a real password")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


async def log_in(
    session: AsyncSession,
    clock: Clock,
    username: str,
    password: str,
    *,
    code: str = "",
    secret_key: str = "",
    known_device: bool = False,
) -> str:
    """Check the password; return a new session token (the cookie value), or raise
    `LoginRefused`. Failed attempts are counted in the caller's transaction, which must
    commit even on refusal: use `attempt_login`.

    Per account: after `ACCOUNT_FREE_FAILURES` failures (from anywhere), each further one makes
    devices that never logged in to this account wait longer (2 s, 4 s, … 15 min); a
    `known_device` (one that logged in to it before) never waits. Guessers are also slowed per
    client (web.desk.common.LoginGuard)."""
    now = clock.now()
    throttle = await session.get(LoginThrottle, username[:64])
    if (
        not known_device
        and throttle is not None
        and throttle.locked_until is not None
        and throttle.locked_until > now
    ):
        raise LoginRefused("too many failed attempts: try again in a few minutes")
    user = await session.scalar(
        select(User).where(User.username == username, User.disabled_at.is_(None))
    )
    valid = (
        verify_password(user.password_hash if user else _dummy_hash(), password)
        and user is not None
        and totp_matches(user, code, secret_key)
    )
    if not valid or user is None:
        if throttle is None:
            throttle = LoginThrottle(username=username[:64], failures=0)
            session.add(throttle)
        throttle.failures += 1
        if throttle.failures >= ACCOUNT_FREE_FAILURES:
            extra = throttle.failures - ACCOUNT_FREE_FAILURES
            throttle.locked_until = now + min(timedelta(seconds=2 ** min(extra + 1, 20)), MAX_WAIT)
        await session.flush()
        raise LoginRefused("wrong name, password or code")
    if throttle is not None:
        await session.delete(throttle)
    token = secrets.token_urlsafe(32)
    session.add(
        Session(
            token_hash=_hash_token(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    await session.execute(delete(Session).where(Session.expires_at < now))
    return token


async def log_out(session: AsyncSession, token: str) -> None:
    await session.execute(delete(Session).where(Session.token_hash == _hash_token(token)))


async def identify(session: AsyncSession, clock: Clock, token: str | None) -> Identity | None:
    if not token or len(token) > 100:
        return None
    row = await session.scalar(select(Session).where(Session.token_hash == _hash_token(token)))
    if row is None or row.expires_at <= clock.now():
        return None
    user = await session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    grants = (
        await session.execute(select(Grant.actor_id, Grant.role).where(Grant.user_id == user.id))
    ).all()
    return Identity(
        user_id=user.id,
        username=user.username,
        is_admin=user.is_admin,
        csrf_token=row.csrf_token,
        editor_of=frozenset(a for a, r in grants if r == Role.editor),
        curator_of=frozenset(a for a, r in grants if r == Role.curator),
    )


ACCOUNT_FREE_FAILURES = 10
MAX_WAIT = timedelta(minutes=15)


def device_token(secret_key: str, username: str) -> str:
    """What a device that logged in to `username` keeps (a cookie): proof it did, nothing more."""
    mac = hmac.new(secret_key.encode(), f"login-device:{username}".encode(), hashlib.sha256)
    return f"{username}:{mac.hexdigest()[:32]}"


def is_known_device(secret_key: str, username: str, cookie: str | None) -> bool:
    return cookie is not None and hmac.compare_digest(
        cookie.encode(), device_token(secret_key, username).encode()
    )


def csrf_matches(identity: Identity, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(
        identity.csrf_token.encode(), submitted.encode()
    )


async def attempt_login(
    db: Database,
    clock: Clock,
    username: str,
    password: str,
    *,
    code: str = "",
    secret_key: str = "",
    known_device: bool = False,
) -> str:
    """`log_in` in its own transaction that commits the failure count even when refusing."""
    refusal: LoginRefused | None = None
    token = ""
    async with db.transaction() as session:
        try:
            token = await log_in(
                session,
                clock,
                username,
                password,
                code=code,
                secret_key=secret_key,
                known_device=known_device,
            )
        except LoginRefused as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    return token
