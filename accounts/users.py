"""Use-cases for editors' accounts: create (argon2id-hashed password), grant roles, authenticate."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Grant, Role, Session, User
from actors.directory import ActorError, get_local
from core.clock import Clock
from core.sealing import seal, unseal

_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(Exception):
    """An account request that cannot be carried out; the message says why."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def create_user(
    session: AsyncSession,
    clock: Clock,
    *,
    username: str,
    password: str,
    is_admin: bool = False,
    editor_of: Sequence[str] = (),
    curator_of: Sequence[str] = (),
) -> User:
    if not _USERNAME_RE.match(username):
        raise AccountError(f"invalid username {username!r}: 2-64 letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"a user named {username!r} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        is_admin=is_admin,
        created_at=clock.now(),
    )
    session.add(user)
    await session.flush()
    for role, names in ((Role.editor, editor_of), (Role.curator, curator_of)):
        for name in names:
            await grant(session, user, name, role)
    return user


async def set_password(session: AsyncSession, username: str, password: str) -> User:
    """A new password for an account; its sessions end (whoever held one must log in again)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"no user named {username!r}")
    user.password_hash = hash_password(password)
    await session.execute(delete(Session).where(Session.user_id == user.id))
    return user


async def grant(session: AsyncSession, user: User, actor_username: str, role: Role) -> Grant:
    try:
        actor = await get_local(session, actor_username)
    except ActorError as exc:
        raise AccountError(str(exc)) from exc
    if role == Role.curator and actor.kind != "network":
        raise AccountError(f"{actor_username!r} is not a network actor; curators curate a network")
    found = await session.scalar(
        select(Grant).where(
            Grant.user_id == user.id, Grant.actor_id == actor.id, Grant.role == role
        )
    )
    if found is not None:
        return found
    row = Grant(user_id=user.id, actor_id=actor.id, role=role.value)
    session.add(row)
    await session.flush()
    return row


async def list_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.username)))


TOTP_PURPOSE = b"editors' TOTP seeds"


def enable_totp(user: User, secret_key: str, issuer: str) -> str:
    """Turn on a second factor for `user`; returns the otpauth:// URI to scan (shown once)."""
    seed = pyotp.random_base32()
    user.totp_secret = seal(seed.encode("ascii"), secret_key, TOTP_PURPOSE)
    user.totp_last_step = None
    return pyotp.TOTP(seed).provisioning_uri(name=user.username, issuer_name=issuer)


def totp_matches(user: User, code: str, secret_key: str, *, at: float | None = None) -> bool:
    """No second factor set: any code passes. Otherwise the code of the current 30-second step
    (or the one before or after, for clock drift) must match, and each code is good once: a
    code already used, or one older than it, is refused, so a code seen over a shoulder or
    caught on the way cannot log in again. A match records its step on `user` (the caller
    commits). `at`: the Unix time to check at (the phone's clock is real time)."""
    if user.totp_secret is None:
        return True
    seed = unseal(user.totp_secret, secret_key, TOTP_PURPOSE).decode("ascii")
    totp = pyotp.TOTP(seed)
    given = code.strip().replace(" ", "")
    current = totp.timecode(time.time() if at is None else at)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if pyotp.utils.strings_equal(given, totp.generate_otp(step)):
            user.totp_last_step = step
            return True
    return False
