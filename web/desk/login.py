"""Login and logout. A new session (and CSRF token) at every login; the cookie is HttpOnly,
SameSite and, over https, Secure."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from accounts.sessions import (
    LoginRefused,
    attempt_login,
    device_token,
    is_known_device,
    log_out,
)
from runtime.services import services
from web.desk.common import SESSION_COOKIE, LoginGuard, current_identity, same_origin
from web.forms import anonymous_csrf, anonymous_csrf_ok, local_path, remember_csrf, without_nul
from web.pages import pages

DEVICE_COOKIE = "hb_device"


def login_routes(guard: LoginGuard) -> list[Route]:
    async def login(request: Request) -> Response:
        svc = services(request)
        _ = pages(request).gettext(request)
        if await current_identity(request) is not None and request.method == "GET":
            return RedirectResponse("/desk", status_code=303)
        token = anonymous_csrf(request)
        error, status, username = "", 200, ""
        headers: dict[str, str] = {}
        client = request.client.host if request.client else "?"
        if request.method == "POST":
            form = without_nul(await request.form())
            username = str(form.get("username") or "")[:64]
            password = str(form.get("password") or "")[:1024]
            code = str(form.get("code") or "")[:16]
            if not anonymous_csrf_ok(request, form.get("csrf")) or not same_origin(request):
                error, status = _("This form expired. Please try again."), 403
            elif (wait := guard.wait(client, username.lower())) > 0:
                error, status = _("Too many attempts. Wait a minute and try again."), 429
                headers["Retry-After"] = str(max(1, round(wait)))
            else:
                try:
                    session_token = await attempt_login(
                        svc.db,
                        svc.clock,
                        username,
                        password,
                        code=code,
                        secret_key=svc.settings.secret_key,
                        known_device=is_known_device(
                            svc.settings.secret_key, username, request.cookies.get(DEVICE_COOKIE)
                        ),
                    )
                except LoginRefused as exc:
                    guard.failed(client, username.lower())
                    error, status = _(str(exc)), 401
                else:
                    guard.succeeded(client, username.lower())
                    redirect = RedirectResponse(
                        local_path(request.query_params.get("next"), "/desk"), status_code=303
                    )
                    redirect.set_cookie(
                        SESSION_COOKIE,
                        session_token,
                        httponly=True,
                        samesite="lax",
                        path="/desk",
                        secure=svc.settings.scheme == "https",
                        max_age=14 * 86400,
                    )
                    redirect.set_cookie(  # this device logged in: it never waits (see log_in)
                        DEVICE_COOKIE,
                        device_token(svc.settings.secret_key, username),
                        httponly=True,
                        samesite="strict",
                        path="/desk/login",
                        secure=svc.settings.scheme == "https",
                        max_age=365 * 86400,
                    )
                    return redirect
        response = pages(request).render(
            request,
            "desk/login.html",
            {"csrf": token, "error": error, "username": username},
            status_code=status,
            headers={"Cache-Control": "no-store", **headers},
        )
        remember_csrf(request, response, token)
        return response

    async def logout(request: Request) -> Response:
        svc = services(request)
        identity = await current_identity(request)
        form = await request.form()
        if (
            identity is not None
            and form.get("csrf") == identity.csrf_token
            and same_origin(request)
        ):
            async with svc.db.transaction() as session:
                await log_out(session, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/desk/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/desk")
        return response

    return [
        Route("/desk/login", login, methods=["GET", "POST"]),
        Route("/desk/logout", logout, methods=["POST"]),
    ]
