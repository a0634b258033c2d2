"""What every page shares: who is signed in, the role's navigation, CSRF on every form,
security headers, and failures shown as a Dutch page instead of JSON."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from services.web.attention import service as attention
from services.web.core import session as sessions
from services.web.core.api import Api, ApiError
from services.web.core.messages import NOTICES, ROLE
from services.web.core.render import clock, render
from shared.auth import Principal
from shared.contracts.session import SessionOut
from shared.errors import Invalid
from shared.proxies import forwarded_headers
from shared.settings import Settings

log = logging.getLogger("zorgplek.web")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
LIVE_PATH = "/live"
ROLE_ORDER = ("referrer", "triagist", "provider", "viewer", "admin")
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "referrer": [
        ("/plekken", "Vrije plekken"),
        ("/aanmelden", "Aanmelden"),
        ("/aanmeldingen", "Mijn aanmeldingen"),
    ],
    "triagist": [("/wachtrij", "Wachtrij"), ("/plekken", "Vrije plekken"), ("/regio", "Regio")],
    "provider": [("/locaties", "Mijn locaties"), ("/reserveringen", "Reserveringen")],
    "viewer": [("/regio", "Regio")],
    "admin": [("/plekken", "Vrije plekken"), ("/regio", "Regio")],
}


@dataclass(slots=True)
class WebState:
    """What the pages need at run time."""

    settings: Settings
    static_version: str
    http: httpx.AsyncClient | None = None

    @property
    def api_url(self) -> str:
        """Where the pages reach the APIs: ZORGPLEK_API_URL, else this process."""
        return self.settings.api_url or self.settings.self_url()

    @property
    def dev_login(self) -> bool:
        """The development sign-in: on by ZORGPLEK_DEV_LOGIN, and only in development (the
        APIs, which issue the demo tokens, apply the same rule)."""
        return self.settings.dev_login and self.settings.env == "development"

    def api(self, request: Request, token: str | None) -> Api:
        """The API as `token` sees it, on behalf of this request's browser."""
        assert self.http is not None, "the web pages' HTTP client starts with the app"
        return Api(self.http, self.api_url, token, forwarded_headers(request))


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user of this request, and the API as that user sees it."""

    principal: Principal
    session: sessions.Session
    api: Api

    @property
    def role(self) -> str:
        return next((r for r in ROLE_ORDER if self.principal.has(r)), "viewer")

    @property
    def home(self) -> str:
        return NAVIGATION[self.role][0][0]

    @property
    def role_name(self) -> str:
        return ROLE.get(self.role, self.role)


class SignInRequired(Exception):
    """Nobody is signed in; the page sends them to Inloggen."""


class NotAllowed(Exception):
    """The signed-in user's role has no business on this page."""


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def home_of(principal: Principal) -> str:
    role = next((r for r in ROLE_ORDER if principal.has(r)), "viewer")
    return NAVIGATION[role][0][0]


async def _viewer(request: Request) -> Viewer | None:
    """The signed-in user, as the APIs see their token now: a token that expired or was
    signed out ends the session here too. The pages check no token themselves."""
    session = sessions.read(request)
    if not session.token:
        return None
    api = web_state(request).api(request, session.token)
    try:
        principal = principal_of(await api.session())
    except ApiError as exc:
        if exc.status not in (401, 403):  # else the APIs cannot answer just now
            raise
        session.sign_out()
        return None
    return Viewer(principal, session, api)


def principal_of(answer: SessionOut) -> Principal:
    """The user of a `GET /api/v1/session` answer."""
    return Principal(
        sub=answer.sub,
        name=answer.name,
        org=answer.org,
        roles=frozenset(answer.roles),
        regions=tuple(answer.regions),
    )


def viewer_of(request: Request) -> Viewer | None:
    viewer: Viewer | None = request.state.viewer
    return viewer


def require(request: Request, *roles: str) -> Viewer:
    """The signed-in user, who must hold one of `roles` (any role when none are named)."""
    viewer = viewer_of(request)
    if viewer is None:
        raise SignInRequired
    if roles and not viewer.principal.has(*roles):
        raise NotAllowed
    return viewer


def _page_context(request: Request, viewer: Viewer | None) -> dict[str, Any]:
    state = web_state(request)
    return {
        "viewer": viewer,
        "csrf": sessions.read(request).csrf,
        "navigation": NAVIGATION[viewer.role] if viewer else [],
        # The live stream through this service, with the session cookie: the token never
        # reaches the browser.
        "stream_url": LIVE_PATH if viewer is not None else None,
        "static_version": state.static_version,
        "now_clock": clock(datetime.now(UTC)),
        "notice": NOTICES.get(request.query_params.get("melding", "")),
        "error": None,
        "attention": attention.watch(viewer.role) if viewer else None,
    }


def _sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method != "GET":
        target = "/"
    return RedirectResponse(f"/inloggen?terug={quote(target, safe='')}", status_code=303)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


async def _prepare(request: Request) -> None:
    """Who is signed in, and what every page's template is given."""
    viewer = await _viewer(request)
    request.state.viewer = viewer
    request.state.page_context = _page_context(request, viewer)


def _finish(request: Request, response: Response, started: float) -> Response:
    """The session cookie when it changed, and the security headers of every page."""
    sessions.save(request, response)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Server-Timing"] = f"page;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


class PageRoute(APIRoute):
    """A route that renders a page: it knows the viewer, checks CSRF on every POST, turns
    failures into Dutch pages, and sets the session cookie and security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            started = time.perf_counter()
            try:
                await _prepare(request)
            except ApiError as exc:  # the APIs cannot say who this is just now
                request.state.viewer = None
                request.state.page_context = _page_context(request, None)
                return _finish(
                    request, _error_page(request, 502, "Dat lukte niet", exc.message), started
                )
            return _finish(request, await _guarded(request, original), started)

        return handler


async def missing_page(request: Request, status: int) -> Response:
    """A browser asked for an address (404) or a method (405) the pages do not have."""
    started = time.perf_counter()
    await _prepare(request)
    if status == 405:
        response = _error_page(
            request,
            405,
            "Dat kan zo niet",
            "Dit adres is een knop op een pagina, geen pagina om te openen. Ga terug en "
            "gebruik de knop.",
        )
    else:
        response = _error_page(
            request,
            404,
            "Deze pagina bestaat niet",
            "Het adres klopt niet, of de pagina is verplaatst. Kies een pagina in het menu.",
        )
    return _finish(request, response, started)


async def _guarded(
    request: Request, original: Callable[[Request], Coroutine[Any, Any, Response]]
) -> Response:
    try:
        if request.method == "POST":
            form = await request.form()
            submitted = form.get(sessions.CSRF_FIELD)
            if not sessions.csrf_ok(request, submitted if isinstance(submitted, str) else None):
                return _error_page(
                    request,
                    403,
                    "Formulier verlopen",
                    "Dit formulier is verlopen of niet van Zorgplek afkomstig. "
                    "Ga terug, laad de pagina opnieuw en probeer het nog eens.",
                )
        return await original(request)
    except SignInRequired:
        return _sign_in_redirect(request)
    except NotAllowed:
        return _error_page(
            request,
            403,
            "Geen toegang",
            "Deze pagina is niet bedoeld voor uw rol. Kies een pagina in het menu.",
        )
    except ApiError as exc:
        if exc.status == 401:
            sessions.read(request).sign_out()
            return _sign_in_redirect(request)
        status = exc.status if 400 <= exc.status < 500 else 502
        return _error_page(request, status, "Dat lukte niet", exc.message)
    except (RequestValidationError, Invalid):
        return _error_page(
            request,
            400,
            "Onjuist adres",
            "De gegevens in het adres van deze pagina kloppen niet. Ga terug en probeer het "
            "opnieuw.",
        )
    except Exception:
        log.exception("page failed", extra={"path": request.url.path})
        return _error_page(
            request,
            500,
            "Er ging iets mis",
            "Er ging iets mis bij het maken van deze pagina. Probeer het over een minuut opnieuw.",
        )
