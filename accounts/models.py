"""User (an editor, curator or admin of this instance) and Grant (a role on one of our actors)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JsonType, UTCDateTime


class Role(StrEnum):
    editor = "editor"  # publishes as an organisation
    curator = "curator"  # curates for the network actor


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    interface_language: Mapped[str] = mapped_column(String(35), default="")
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    # The 30-second step of the last code accepted: a code is good once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Grant(Base):
    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        UniqueConstraint("user_id", "actor_id", "role", name="uq_grants_user_actor_role"),
    )


class Session(Base):
    """A desk login. The cookie holds a random token; we keep only its hash, so a copy of the
    database cannot be used to log in. A new one is made at each login (no fixation)."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed logins per account since its last good one (no IP addresses kept). Past a number
    of failures, attempts from devices that never logged in to the account wait (`locked_until`,
    growing with each failure); a device that did (its cookie) is never made to wait, so a
    guesser cannot keep the editor out (docs/security.md)."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OAuthApp(Base):
    """A client application registered through `POST /api/v1/apps` (Mastodon's API). Its
    secret is kept only as a hash."""

    __tablename__ = "oauth_apps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str] = mapped_column(String(2048), default="")
    redirect_uris: Mapped[list[str]] = mapped_column(JsonType, default=list)
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthCode(Base):
    """An authorization code: good once, for ten minutes, bound to the redirect URI and (with
    PKCE) to the client's code challenge."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(1000))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    challenge: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OAuthToken(Base):
    """An access token: it speaks for one organisation (`actor_id`) on behalf of one editor
    (`user_id`), or, from the client-credentials grant, for the app alone (both null). Only
    its hash is kept."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("actors.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
