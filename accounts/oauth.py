"""OAuth 2 as Mastodon does it, for client apps: app registration, authorization codes (with
PKCE), client credentials, tokens kept only as hashes, revocation. A token speaks for one
organisation on behalf of one editor, and only while the editor may still edit it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Grant, OAuthApp, OAuthCode, OAuthToken, Role, User
from core.clock import Clock

CODE_LIFETIME = timedelta(minutes=10)
OUT_OF_BAND = "urn:ietf:wg:oauth:2.0:oob"
TOP_SCOPES = ("read", "write", "follow", "push", "profile")
SUB_SCOPES = {
    "read": (
        "accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes",
        "notifications", "search", "statuses",
    ),
    "write": (
        "accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows",
        "lists", "media", "mutes", "notifications", "reports", "statuses",
    ),
}  # fmt: skip
# The legacy `follow` scope covers these (as in Mastodon).
FOLLOW_COVERS = frozenset(
    {"read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"}
)
KNOWN_SCOPES = frozenset(
    [*TOP_SCOPES, *(f"{top}:{sub}" for top, subs in SUB_SCOPES.items() for sub in subs)]
)
MAX_REDIRECT_URIS = 10


class OAuthError(Exception):
    """An OAuth request that cannot be granted: `error` is the RFC 6749 code."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(text: str | None, *, default: str = "read") -> tuple[str, ...]:
    words = tuple(dict.fromkeys((text or default).replace(",", " ").split()))
    unknown = [w for w in words if w not in KNOWN_SCOPES]
    if unknown or not words:
        raise OAuthError("invalid_scope", f"unknown scope: {' '.join(unknown) or '(none)'}")
    return words


def allows(granted: tuple[str, ...] | str, needed: str) -> bool:
    """Does a token with `granted` scopes have `needed` (e.g. "write:statuses")?"""
    scopes = set(granted.split() if isinstance(granted, str) else granted)
    top = needed.split(":", 1)[0]
    return needed in scopes or top in scopes or ("follow" in scopes and needed in FOLLOW_COVERS)


def _check_redirect_uri(uri: str) -> str:
    if uri == OUT_OF_BAND:
        return uri
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or len(uri) > 2000:
        raise OAuthError("invalid_request", f"not a redirect URI: {uri[:100]!r}")
    if parts.scheme in ("javascript", "data", "file"):
        raise OAuthError("invalid_request", f"redirect URI scheme not allowed: {parts.scheme}")
    return uri


async def register_app(
    session: AsyncSession,
    clock: Clock,
    *,
    name: str,
    redirect_uris: str,
    scopes: str | None,
    website: str = "",
) -> tuple[OAuthApp, str]:
    """A new client app; returns it and its secret (shown once, kept as a hash)."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise OAuthError("invalid_request", "client_name is required (at most 200 characters)")
    uris = [u for u in redirect_uris.split() if u]
    if not uris or len(uris) > MAX_REDIRECT_URIS:
        raise OAuthError("invalid_request", "redirect_uris: give one to ten URIs")
    uris = [_check_redirect_uri(u) for u in uris]
    if len(website) > 2000:
        raise OAuthError("invalid_request", "website is too long")
    secret = secrets.token_urlsafe(32)
    app = OAuthApp(
        client_id=secrets.token_urlsafe(32),
        secret_hash=_hash(secret),
        name=name,
        website=website,
        redirect_uris=uris,
        scopes=" ".join(parse_scopes(scopes)),
        created_at=clock.now(),
    )
    session.add(app)
    await session.flush()
    return app, secret


async def find_app(session: AsyncSession, client_id: str | None) -> OAuthApp:
    app = (
        await session.scalar(select(OAuthApp).where(OAuthApp.client_id == client_id))
        if client_id and len(client_id) <= 64
        else None
    )
    if app is None:
        raise OAuthError("invalid_client", "unknown client_id", 401)
    return app


def _secret_matches(app: OAuthApp, secret: str | None) -> bool:
    return bool(secret) and hmac.compare_digest(app.secret_hash, _hash(secret or ""))


@dataclass(frozen=True)
class AuthorizationRequest:
    """What `GET /oauth/authorize` asks for, checked against the registered app."""

    app: OAuthApp
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    challenge: str | None


def check_authorization(
    app: OAuthApp,
    *,
    response_type: str | None,
    redirect_uri: str | None,
    scope: str | None,
    state: str | None,
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> AuthorizationRequest:
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "response_type must be code")
    uri = redirect_uri or (app.redirect_uris[0] if len(app.redirect_uris) == 1 else "")
    if uri not in app.redirect_uris:
        raise OAuthError("invalid_request", "redirect_uri is not one this app registered")
    scopes = parse_scopes(scope, default=app.scopes)
    if any(not allows(app.scopes, s) for s in scopes):
        raise OAuthError("invalid_scope", "the app did not register all of these scopes")
    if code_challenge and (code_challenge_method or "plain") != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if code_challenge and not 43 <= len(code_challenge) <= 128:
        raise OAuthError("invalid_request", "code_challenge must be 43 to 128 characters")
    return AuthorizationRequest(app, uri, scopes, (state or "")[:500], code_challenge or None)


async def issue_code(
    session: AsyncSession,
    clock: Clock,
    request: AuthorizationRequest,
    *,
    user_id: int,
    actor_id: int,
) -> str:
    code = secrets.token_urlsafe(32)
    session.add(
        OAuthCode(
            code_hash=_hash(code),
            app_id=request.app.id,
            user_id=user_id,
            actor_id=actor_id,
            scopes=" ".join(request.scopes),
            redirect_uri=request.redirect_uri,
            challenge=request.challenge,
            expires_at=clock.now() + CODE_LIFETIME,
        )
    )
    await session.flush()
    return code


def _pkce_matches(challenge: str, verifier: str | None) -> bool:
    if not verifier or not 43 <= len(verifier) <= 128:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, challenge)


async def _new_token(
    session: AsyncSession,
    clock: Clock,
    app: OAuthApp,
    scopes: str,
    *,
    user_id: int | None = None,
    actor_id: int | None = None,
) -> tuple[str, OAuthToken]:
    token = secrets.token_urlsafe(32)
    row = OAuthToken(
        token_hash=_hash(token),
        app_id=app.id,
        user_id=user_id,
        actor_id=actor_id,
        scopes=scopes,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return token, row


async def exchange_code(
    session: AsyncSession,
    clock: Clock,
    *,
    client_id: str | None,
    client_secret: str | None,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> tuple[str, OAuthToken]:
    """The authorization-code grant. A confidential client sends its secret; a public one its
    PKCE verifier (a code issued with a challenge always needs the verifier)."""
    app = await find_app(session, client_id)
    if client_secret and not _secret_matches(app, client_secret):
        raise OAuthError("invalid_client", "wrong client_secret", 401)
    row = (
        await session.scalar(
            select(OAuthCode).where(
                OAuthCode.code_hash == _hash(code or ""), OAuthCode.app_id == app.id
            )
        )
        if code and len(code) <= 200
        else None
    )
    now = clock.now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise OAuthError("invalid_grant", "the code is unknown, used or expired")
    if (redirect_uri or row.redirect_uri) != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
    if row.challenge is not None and not _pkce_matches(row.challenge, code_verifier):
        raise OAuthError("invalid_grant", "code_verifier does not match the code challenge")
    if row.challenge is None and not client_secret:
        raise OAuthError("invalid_client", "client_secret (or PKCE) is required", 401)
    row.used_at = now
    return await _new_token(
        session, clock, app, row.scopes, user_id=row.user_id, actor_id=row.actor_id
    )


async def client_credentials(
    session: AsyncSession,
    clock: Clock,
    *,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
) -> tuple[str, OAuthToken]:
    """An app-only token (no organisation): enough to read public data and verify the app."""
    app = await find_app(session, client_id)
    if not _secret_matches(app, client_secret):
        raise OAuthError("invalid_client", "wrong client_secret", 401)
    scopes = parse_scopes(scope, default="read")
    if any(not allows(app.scopes, s) for s in scopes):
        raise OAuthError("invalid_scope", "the app did not register all of these scopes")
    return await _new_token(session, clock, app, " ".join(scopes))


async def revoke(
    session: AsyncSession,
    clock: Clock,
    *,
    client_id: str | None,
    client_secret: str | None,
    token: str | None,
) -> None:
    """RFC 7009: revoking an unknown token is not an error; a wrong client is."""
    app = await find_app(session, client_id)
    if not _secret_matches(app, client_secret):
        raise OAuthError("invalid_client", "wrong client_secret", 401)
    row = await session.scalar(
        select(OAuthToken).where(
            OAuthToken.token_hash == _hash(token or ""), OAuthToken.app_id == app.id
        )
    )
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


@dataclass(frozen=True)
class TokenHolder:
    """Who a valid token speaks for: an organisation (`actor_id`) through an editor, or (both
    None) an app alone."""

    token_id: int
    app_id: int
    app_name: str
    app_website: str
    scopes: tuple[str, ...]
    user_id: int | None
    actor_id: int | None

    def allows(self, needed: str) -> bool:
        return allows(self.scopes, needed)


async def may_speak_for(session: AsyncSession, user_id: int, actor_id: int) -> bool:
    user = await session.get(User, user_id)
    if user is None or user.disabled_at is not None:
        return False
    if user.is_admin:
        return True
    grant = await session.scalar(
        select(Grant.id).where(
            Grant.user_id == user_id, Grant.actor_id == actor_id, Grant.role == Role.editor
        )
    )
    return grant is not None


async def authenticate(session: AsyncSession, clock: Clock, token: str) -> TokenHolder | None:
    """The holder of a bearer token, or None: unknown, revoked, or its editor may no longer
    edit the organisation (a grant taken away ends the token's power at once)."""
    if not token or len(token) > 200:
        return None
    row = await session.scalar(select(OAuthToken).where(OAuthToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.user_id is not None and (
        row.actor_id is None or not await may_speak_for(session, row.user_id, row.actor_id)
    ):
        return None
    app = await session.get(OAuthApp, row.app_id)
    if app is None:
        return None
    return TokenHolder(
        token_id=row.id,
        app_id=app.id,
        app_name=app.name,
        app_website=app.website,
        scopes=tuple(row.scopes.split()),
        user_id=row.user_id,
        actor_id=row.actor_id,
    )


async def touch(session: AsyncSession, token_id: int, now: datetime) -> None:
    row = await session.get(OAuthToken, token_id)
    if row is not None and (
        row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5)
    ):
        row.last_used_at = now


async def tokens_of(session: AsyncSession, user_id: int) -> list[tuple[OAuthToken, OAuthApp]]:
    rows = await session.execute(
        select(OAuthToken, OAuthApp)
        .join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None))
        .order_by(OAuthToken.id.desc())
    )
    return [(t, a) for t, a in rows]


async def revoke_own(session: AsyncSession, clock: Clock, user_id: int, token_id: int) -> bool:
    row = await session.get(OAuthToken, token_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return False
    row.revoked_at = clock.now()
    return True


def redirect_with(uri: str, **values: str) -> str:
    """The client's redirect URI with the answer added to its query."""
    joiner = "&" if "?" in uri else "?"
    return f"{uri}{joiner}{urlencode({k: v for k, v in values.items() if v})}"


def form_target(uri: str) -> str:
    """What a consent page's CSP `form-action` must allow for the browser to follow the
    redirect to `uri`: its origin, or its scheme for an app's own (`myapp:`)."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"
