"""The pages' session: a signed, HttpOnly, SameSite=Lax cookie holding the signed-in user's
token and a CSRF token. Nothing is kept on the server, so any replica serves any page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request, Response

from shared.settings import Settings

COOKIE = "zorgplek_sessie"
MAX_AGE_SECONDS = 12 * 3600
CSRF_FIELD = "csrf"


def session_key(settings: Settings) -> bytes:
    """The cookie's HMAC key: ZORGPLEK_SESSION_SECRET; else, where this process has the
    JWT secret anyway (all services in one process), derived from it; else, in
    development, a secret generated once under ZORGPLEK_HOME. It signs cookies only: no
    API accepts anything signed with it."""
    if settings.session_secret:
        if len(settings.session_secret.encode()) < 32:
            raise ValueError("ZORGPLEK_SESSION_SECRET must be at least 32 bytes")
        secret = settings.session_secret
    elif settings.jwt_secret is not None:
        secret = settings.jwt_secret
    elif settings.env == "development":
        secret = _generated_secret(settings.home / "session-secret")
    else:
        raise ValueError("ZORGPLEK_SESSION_SECRET is required for the web pages")
    return hmac.new(secret.encode(), b"zorgplek web session v1", hashlib.sha256).digest()


def _generated_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(slots=True)
class Session:
    """What the cookie holds. `token` is absent until someone signs in."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token: str | None = None
    expires: int = 0
    organisation_name: str | None = None
    practice: tuple[float, float] | None = None
    oidc: dict[str, str] | None = None
    changed: bool = False

    def dump(self) -> dict[str, Any]:
        return {
            "c": self.csrf,
            "t": self.token,
            "e": self.expires,
            "on": self.organisation_name,
            "p": list(self.practice) if self.practice else None,
            "o": self.oidc,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Session:
        practice = data.get("p")
        return cls(
            csrf=str(data["c"]),
            token=data.get("t"),
            expires=int(data.get("e") or 0),
            organisation_name=data.get("on"),
            practice=(float(practice[0]), float(practice[1])) if practice else None,
            oidc=data.get("o"),
        )

    def sign_in(
        self,
        token: str,
        expires: int,
        organisation_name: str | None,
        practice: tuple[float, float] | None,
    ) -> None:
        """Start a signed-in session; a new CSRF token guards against session fixation."""
        self.token = token
        self.expires = expires
        self.organisation_name = organisation_name
        self.practice = practice
        self.oidc = None
        self.csrf = secrets.token_urlsafe(24)
        self.changed = True

    def sign_out(self) -> None:
        self.token = None
        self.expires = 0
        self.organisation_name = None
        self.practice = None
        self.csrf = secrets.token_urlsafe(24)
        self.changed = True


def encode(session: Session, key: bytes) -> str:
    payload = _b64(json.dumps(session.dump(), separators=(",", ":")).encode())
    signature = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def decode(value: str, key: bytes) -> Session | None:
    """The session in a cookie, or None when it was not signed by us or is malformed."""
    payload, _, signature = value.partition(".")
    expected = _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        return None
    try:
        data = json.loads(_unb64(payload))
        session = Session.load(data)
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if session.token and session.expires < time.time():
        session.sign_out()
    return session


def read(request: Request) -> Session:
    """The request's session (a new, anonymous one when there is none)."""
    cached: Session | None = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    key: bytes = request.app.state.web_session_key
    raw = request.cookies.get(COOKIE)
    session = decode(raw, key) if raw else None
    if session is None:
        session = Session(changed=True)
    request.state.web_session = session
    return session


def save(request: Request, response: Response) -> None:
    """Write the session cookie when it changed: HttpOnly, SameSite=Lax, Secure over https."""
    session = read(request)
    if not session.changed:
        return
    key: bytes = request.app.state.web_session_key
    response.set_cookie(
        COOKIE,
        encode(session, key),
        max_age=MAX_AGE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether a form carried the session's CSRF token."""
    return bool(submitted) and hmac.compare_digest(read(request).csrf, str(submitted))
