"""Web page tests: the whole app on a real socket (the pages call the APIs over HTTP), and
signed-in users made by putting a session cookie in place, as the sign-in would."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from services.web.core import session as sessions
from shared.app import Loop
from shared.auth import issue_token
from shared.http import client as http_client
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
    async with http_client(base_url=live_url, timeout=10) as client:
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
        sub: str | None = None,
    ) -> str:
        token = issue_token(
            settings,
            sub=sub or f"{role}-{uuid.uuid4().hex[:6]}",
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


# How long a browser test waits for the page to show what it expects: generous, because a
# live update crosses the relay, the stream and a fetch on a busy two-core machine. Waiting
# longer never makes a test pass that should fail; it only stops a slow run from failing.
expect.set_options(timeout=15_000)

# Debian's Chromium: its lean headless shell (package chromium-headless-shell: the same
# engine, the build Playwright itself runs headless, at a third of the full browser's CPU
# per page) where the full browser is not needed, else the full browser (package chromium).
HEADLESS_SHELL = Path("/usr/bin/chromium-headless-shell")
FULL_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def _chromium(*candidates: Path) -> AsyncIterator[Browser]:
    """The first of `candidates` on this machine, driven by Playwright; never a downloaded
    browser. Skips the test when there is none."""
    found = [path for path in candidates if path.exists()]
    if not found:
        message = (
            f"BROWSER TESTS SKIPPED: no Chromium at {' or '.join(map(str, candidates))}. "
            "Install it with `apt-get install chromium chromium-headless-shell` (CI does)."
        )
        print(f"\n{'!' * 20} {message} {'!' * 20}", file=sys.stderr)
        pytest.skip(message)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(found[0]), args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium for the pages: the headless shell where it is installed."""
    async with _chromium(HEADLESS_SHELL, FULL_CHROMIUM) as chromium:
        yield chromium


@pytest.fixture(scope="session")
async def full_browser() -> AsyncIterator[Browser]:
    """Debian's full Chromium, for what the headless shell does not do as a browser does:
    it reports `Notification.permission` as "denied" even once notifications are allowed."""
    async with _chromium(FULL_CHROMIUM) as chromium:
        yield chromium


@dataclass
class Tab:
    """A browser page of one signed-in user, with every console error it logged."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def assert_no_console_errors(self) -> None:
        assert self.errors == [], self.errors


Tabs = Callable[..., Awaitable[Tab]]


@asynccontextmanager
async def _tabs(browser: Browser, live_url: str) -> AsyncIterator[Tabs]:
    contexts: list[BrowserContext] = []

    async def open_tab(cookie: str | None = None, *, width: int = 1280, height: int = 900) -> Tab:
        context = await browser.new_context(
            base_url=live_url, locale="nl-NL", viewport={"width": width, "height": height}
        )
        contexts.append(context)
        if cookie:
            await context.add_cookies([{"name": sessions.COOKIE, "value": cookie, "url": live_url}])
        page = await context.new_page()
        page.set_default_timeout(15_000)
        tab = Tab(page)
        page.on(
            "console",
            lambda m: (
                tab.errors.append(f"{m.text} at {m.location.get('url')}")
                if m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda e: tab.errors.append(str(e)))
        return tab

    yield open_tab
    for context in contexts:
        await context.close()


@pytest.fixture
async def tabs(browser: Browser, live_url: str, output_dir: Path) -> AsyncIterator[Tabs]:
    """`await tabs(cookie)`: a page in its own browser context (its own cookies), Dutch,
    1280 px wide unless told; console errors are collected."""
    async with _tabs(browser, live_url) as open_tab:
        yield open_tab


@pytest.fixture
async def full_tabs(full_browser: Browser, live_url: str, output_dir: Path) -> AsyncIterator[Tabs]:
    """`tabs` in the full browser (see `full_browser`)."""
    async with _tabs(full_browser, live_url) as open_tab:
        yield open_tab


@pytest.fixture(scope="session")
def screenshots(output_dir: Path) -> Path:
    path = output_dir / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
async def live_events(app: Any) -> AsyncIterator[None]:
    """Run notify's background work (relay, stream hub), as `zorgplek up` does, so the
    pages' live stream delivers events; the test app keeps loops off otherwise."""
    notify = [c for c in app.state.components if c.name == "notify"]
    if not notify:
        pytest.skip("LIVE UPDATE TESTS SKIPPED: the notify service is not registered")

    async def run(loop: Loop) -> None:
        while True:
            try:
                await loop.run(app)
            except asyncio.CancelledError:
                raise
            except Exception:  # as the app's supervisor does: try again
                pass
            await asyncio.sleep(min(loop.interval, 0.5))

    tasks = [asyncio.create_task(run(loop)) for loop in notify[0].loops]
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
