"""Inloggen and Uitloggen, and `/`, which sends each user to the first page of their role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from services.web.core import session as sessions
from services.web.core.messages import ROLE
from services.web.core.pages import PageRoute, home_of, viewer_of, web_state
from services.web.core.render import render
from services.web.signin import service
from services.web.signin.service import SignInFailed

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    """Home: the first page of the signed-in user's role, else Inloggen."""
    viewer = viewer_of(request)
    return RedirectResponse(viewer.home if viewer else "/inloggen", status_code=303)


async def _sign_in_page(request: Request, target: str | None, error: str | None = None) -> Response:
    state = web_state(request)
    users_by_role: dict[str, list[object]] = {}
    if state.dev_login:
        for user in await service.demo_users(state.api(request, None)):
            users_by_role.setdefault(user.role, []).append(user)
    return render(
        request,
        "signin/signin.html",
        {
            "title": "Inloggen",
            "dev_login": state.dev_login,
            "users_by_role": users_by_role,
            "role_names": ROLE,
            "oidc": service.oidc_configured(state.settings),
            "target": target or "",
            "error": error,
        },
        status_code=400 if error else 200,
    )


@router.get("/inloggen")
async def sign_in_page(request: Request, terug: Annotated[str | None, Query()] = None) -> Response:
    """Inloggen: choose a demo user (development) or sign in through your organisation."""
    viewer = viewer_of(request)
    if viewer is not None:
        return RedirectResponse(service.safe_target(terug) or viewer.home, status_code=303)
    return await _sign_in_page(request, service.safe_target(terug))


@router.post("/inloggen/demo")
async def dev_sign_in(
    request: Request,
    sub: Annotated[str, Form()] = "",
    terug: Annotated[str, Form()] = "",
) -> Response:
    """Sign in as a demo user: only with ZORGPLEK_DEV_LOGIN in development."""
    state = web_state(request)
    if not state.dev_login:
        return await _sign_in_page(request, None, "Inloggen als demogebruiker staat hier uit.")
    anonymous = state.api(request, None)
    if sub not in {user.sub for user in await service.demo_users(anonymous)}:
        return await _sign_in_page(
            request, service.safe_target(terug), "Kies een van de demogebruikers."
        )
    try:
        token = await service.demo_token(anonymous, sub)
        principal = await service.open_session(sessions.read(request), state.api(request, token))
    except SignInFailed as exc:
        return await _sign_in_page(request, service.safe_target(terug), exc.message)
    return RedirectResponse(service.safe_target(terug) or home_of(principal), status_code=303)


@router.get("/inloggen/oidc")
async def oidc_start(request: Request, terug: Annotated[str | None, Query()] = None) -> Response:
    """Start signing in through the organisation's identity provider (OIDC with PKCE)."""
    state = web_state(request)
    if not service.oidc_configured(state.settings):
        return await _sign_in_page(request, None, "Inloggen via uw organisatie is niet ingesteld.")
    assert state.http is not None
    try:
        url = await service.start(
            state.http,
            state.settings,
            sessions.read(request),
            str(request.url_for("oidc_callback")),
            service.safe_target(terug) or "",
        )
    except SignInFailed as exc:
        return await _sign_in_page(request, None, exc.message)
    return RedirectResponse(url, status_code=303)


@router.get("/inloggen/terug", name="oidc_callback")
async def oidc_callback(
    request: Request,
    code: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response:
    """The identity provider sends the user back here with a code to exchange."""
    web = web_state(request)
    session = sessions.read(request)
    if error or not code or not state:
        session.oidc = None
        session.changed = True
        return await _sign_in_page(
            request, None, "Inloggen is afgebroken of geweigerd. Probeer opnieuw."
        )
    assert web.http is not None
    try:
        token, target = await service.finish(
            web.http,
            web.settings,
            session,
            code=code,
            state=state,
            redirect_uri=str(request.url_for("oidc_callback")),
        )
        principal = await service.open_session(session, web.api(request, token))
    except SignInFailed as exc:
        return await _sign_in_page(request, None, exc.message)
    return RedirectResponse(service.safe_target(target) or home_of(principal), status_code=303)


@router.post("/uitloggen")
async def sign_out(request: Request) -> Response:
    """End the session, at the APIs first: from then on every service refuses its token,
    so a copy of the cookie or the token is of no use to anyone."""
    viewer = viewer_of(request)
    if viewer is not None:
        await viewer.api.sign_out()  # an outage shows and keeps the session
    sessions.read(request).sign_out()
    return RedirectResponse("/inloggen?melding=uitgelogd", status_code=303)
