"""Web page tests: the whole app on a real socket (the pages call the APIs over HTTP), and
signed-in users made by putting a session cookie in place, as the sign-in would."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.web.core import session as sessions
from shared.auth import issue_token
from shared.settings import Settings


@pytest.fixture(autouse=True)
def _pages_reach_the_live_server(
    settings: Settings, live_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages call the APIs at the live server's address."""
    monkeypatch.setattr(settings, "api_url", live_url)


@pytest.fixture
async def web(live_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the pages: cookies kept, redirects not followed."""
    async with httpx.AsyncClient(base_url=live_url, timeout=10) as client:
        yield client


SessionCookie = Callable[..., str]


@pytest.fixture
def session_cookie(settings: Settings, app: Any) -> SessionCookie:
    """`session_cookie("provider", org=...)`: the cookie of a signed-in user."""

    def make(
        role: str,
        *,
        org: str | uuid.UUID | None = None,
        regions: list[str] | None = None,
        name: str | None = None,
        practice: tuple[float, float] | None = None,
        organisation_name: str | None = None,
    ) -> str:
        token = issue_token(
            settings,
            sub=f"{role}-{uuid.uuid4().hex[:6]}",
            name=name or f"Test {role}",
            roles=[role],
            org=org,
            regions=regions,
        )
        session = sessions.Session()
        session.sign_in(token, int(time.time()) + 3600, organisation_name, practice)
        key: bytes = app.state.web_session_key
        return sessions.encode(session, key)

    return make


def sign_in(client: httpx.AsyncClient, cookie: str) -> None:
    client.cookies.set(sessions.COOKIE, cookie)


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def csrf_of_cookie(client: httpx.AsyncClient, app: Any) -> str:
    """The CSRF token of the client's session, for a page that shows no form."""
    session = sessions.decode(client.cookies[sessions.COOKIE], app.state.web_session_key)
    assert session is not None
    return session.csrf
