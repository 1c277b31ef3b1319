"""OAuth endpoints as Mastodon serves them: `POST /api/v1/apps`, `GET /oauth/authorize` (the
consent page lives in the desk, behind its login and second factor), `POST /oauth/token`,
`POST /oauth/revoke`, and the RFC 8414 metadata."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from accounts.oauth import (
    KNOWN_SCOPES,
    OAuthError,
    client_credentials,
    exchange_code,
    register_app,
    revoke,
)
from api.auth import Caller, api_view
from api.errors import ApiError
from api.params import read_params
from runtime.services import services


def _oauth_error(exc: OAuthError) -> JSONResponse:
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers={"Cache-Control": "no-store"},
    )


async def create_app(request: Request, caller: Caller) -> Response:
    params = await read_params(request)
    svc = services(request)
    try:
        async with svc.db.transaction() as session:
            app, secret = await register_app(
                session,
                svc.clock,
                name=params.text("client_name", max_length=200),
                redirect_uris=" ".join(params.items("redirect_uris", max_items=10))
                if isinstance(params.values.get("redirect_uris"), list)
                else params.text("redirect_uris", max_length=20_000),
                scopes=params.optional("scopes", max_length=1000),
                website=params.text("website", max_length=2000),
            )
    except OAuthError as exc:
        raise ApiError(422, f"Validation failed: {exc.description}") from exc
    return JSONResponse(
        {
            "id": str(app.id),
            "name": app.name,
            "website": app.website or None,
            "scopes": app.scopes.split(),
            "redirect_uri": "\n".join(app.redirect_uris),
            "redirect_uris": app.redirect_uris,
            "client_id": app.client_id,
            "client_secret": secret,
            "client_secret_expires_at": 0,
            "vapid_key": "",
        }
    )


async def verify_app(request: Request, caller: Caller) -> Response:
    if caller.holder is None:
        raise ApiError(401, "The access token is invalid")
    return JSONResponse(
        {
            "name": caller.holder.app_name,
            "website": caller.holder.app_website or None,
            "scopes": list(caller.holder.scopes),
            "vapid_key": "",
        }
    )


async def authorize(request: Request) -> Response:
    """The consent page is part of the desk (its session cookie lives under /desk)."""
    return RedirectResponse(f"/desk/oauth/authorize?{request.url.query}", status_code=302)


async def token(request: Request) -> Response:
    svc = services(request)
    try:
        params = await read_params(request)
        grant = params.text("grant_type", max_length=100)
        async with svc.db.transaction() as session:
            if grant == "authorization_code":
                issued, row = await exchange_code(
                    session,
                    svc.clock,
                    client_id=params.optional("client_id", max_length=100),
                    client_secret=params.optional("client_secret", max_length=200),
                    code=params.optional("code", max_length=200),
                    redirect_uri=params.optional("redirect_uri", max_length=2048),
                    code_verifier=params.optional("code_verifier", max_length=200),
                )
            elif grant == "client_credentials":
                issued, row = await client_credentials(
                    session,
                    svc.clock,
                    client_id=params.optional("client_id", max_length=100),
                    client_secret=params.optional("client_secret", max_length=200),
                    scope=params.optional("scope", max_length=1000),
                )
            else:
                raise OAuthError(
                    "unsupported_grant_type",
                    "grant_type must be authorization_code or client_credentials "
                    "(the password grant is not offered)",
                )
    except OAuthError as exc:
        return _oauth_error(exc)
    except ApiError as exc:
        return _oauth_error(OAuthError("invalid_request", exc.message, exc.status))
    return JSONResponse(
        {
            "access_token": issued,
            "token_type": "Bearer",
            "scope": row.scopes,
            "created_at": int(row.created_at.timestamp()),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def revoke_token(request: Request) -> Response:
    svc = services(request)
    try:
        params = await read_params(request)
        async with svc.db.transaction() as session:
            await revoke(
                session,
                svc.clock,
                client_id=params.optional("client_id", max_length=100),
                client_secret=params.optional("client_secret", max_length=200),
                token=params.optional("token", max_length=200),
            )
    except OAuthError as exc:
        return _oauth_error(exc)
    except ApiError as exc:
        return _oauth_error(OAuthError("invalid_request", exc.message, exc.status))
    return JSONResponse({})


async def server_metadata(request: Request) -> Response:
    base = services(request).settings.base_url
    return JSONResponse(
        {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "scopes_supported": sorted(KNOWN_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
    )


routes = [
    Route("/api/v1/apps", api_view(create_app), methods=["POST"]),
    Route("/api/v1/apps/verify_credentials", api_view(verify_app)),
    Route("/oauth/authorize", authorize),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke_token, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", server_metadata),
]
