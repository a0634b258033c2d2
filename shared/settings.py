"""Settings: every value comes from a `ZORGPLEK_` environment variable and is checked at start."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import reference
from shared.proxies import Network, parse_networks

# Secrets that appear in examples and tutorials; refused outside development.
WEAK_SECRETS = frozenset(
    {
        "changeme",
        "secret",
        "zorgplek",
        "development",
        "change-me-to-a-long-random-secret-of-32-bytes-or-more",
    }
)
MIN_SECRET_BYTES = 32
SERVICES_WITH_DATA = ("capacity", "triage", "notify")


class Settings(BaseSettings):
    """Zorgplek's configuration. See README.md, "Configuration", for each variable."""

    model_config = SettingsConfigDict(env_prefix="ZORGPLEK_", extra="ignore")

    env: Literal["development", "production"] = "production"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    home: Path = Path(".zorgplek")

    # The owner of the schemas: migrations, and the roles the services connect as.
    database_url: str | None = None
    # Each service's own role (shared/roles.py); unset: derived from the owner's.
    capacity_database_url: str | None = None
    triage_database_url: str | None = None
    notify_database_url: str | None = None
    # A replica's address for reads; each service signs in there with its own role.
    database_read_url: str | None = None
    database_pool_size: int = Field(default=10, ge=1)

    jwt_secret: str | None = None
    jwt_issuer: str = "zorgplek"
    jwt_audience: str = "zorgplek"
    oidc_issuer: str | None = None
    oidc_jwks_url: str | None = None
    oidc_audience: str | None = None
    # With an OIDC issuer in production, HS256 tokens are the services' own (role
    # `service`) unless this allows people's too (shared/auth.py).
    jwt_hs256_for_people: bool = False

    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (shared/proxies.py):
    # addresses or networks, comma separated. None by default; `zorgplek up`: loopback.
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        try:
            parse_networks(value)
        except ValueError as exc:
            raise ValueError(
                "ZORGPLEK_TRUSTED_PROXIES must list addresses or networks, e.g. "
                "10.0.0.0/8,192.0.2.7 (never *)"
            ) from exc
        return value

    def trusted_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    # Retention (shared/retention.py): how often the loop runs and how long rows are kept.
    # The audit log is never pruned by the application.
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    idempotency_retention_hours: float = Field(default=24.0, gt=0)
    deliveries_retention_days: float = Field(default=30.0, gt=0)
    capacity_history_retention_days: float = Field(default=730.0, gt=0)

    # Per-caller budgets a minute (shared/ratelimit.py); ZORGPLEK_RATE_LIMITS=off: none.
    rate_limits: bool = True
    rate_limit_writes_per_minute: int = Field(default=1200, ge=1)
    rate_limit_searches_per_minute: int = Field(default=1200, ge=1)

    # Where triage reaches the capacity service; unset means "this process" (zorgplek up).
    capacity_url: str | None = None

    def self_url(self) -> str:
        """This process's own address, for calls between services that share it."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    # Time-to-live of a capacity report per place type in hours, overriding the defaults of
    # shared/data/place_types.csv, e.g. ZORGPLEK_STALE_TTL_HOURS='{"GGZ_CRISIS": 2}'.
    stale_ttl_hours: dict[str, float] = Field(default_factory=dict)

    @field_validator("stale_ttl_hours")
    @classmethod
    def _stale_ttl_hours(cls, value: dict[str, float]) -> dict[str, float]:
        reference.ttl_seconds(value)  # refuses unknown place types, for every service
        return value

    sweep_interval_seconds: float = Field(default=5.0, gt=0)
    # Capacity batches (JSON or CSV): at most this many rows and bytes, applied and committed
    # this many rows at a time, so that no long transaction holds up the event relay.
    batch_max_rows: int = Field(default=5000, ge=1)
    batch_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    batch_chunk_rows: int = Field(default=100, ge=1)

    # Triage: how long a reserved place is held for the provider's answer, and the longest
    # any place may be held (a reservation's `hold_minutes`; capacity refuses longer holds).
    reservation_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)
    hold_max_minutes: int = Field(default=240, ge=1, le=24 * 60)
    # Triage: above this share of unmet demand (0–1) for a place type in a region over the
    # last 7 days, the alert ZorgplekUnmetDemandHigh fires (published as a gauge, so the
    # rule in deploy/prometheus/alerts.yml needs no edit).
    unmet_share_alert: float = Field(default=0.2, ge=0, le=1)

    # Notify: retry schedule of webhooks and e-mail (seconds after each failed attempt;
    # jitter is added), per-attempt timeout, and the live stream's heartbeat and queue.
    delivery_retry_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0, 86400.0]
    )

    @field_validator("delivery_retry_seconds")
    @classmethod
    def _delivery_retry_seconds(cls, value: list[float]) -> list[float]:
        if not value or min(value) <= 0:
            raise ValueError("ZORGPLEK_DELIVERY_RETRY_SECONDS must be a list of seconds above 0")
        return value

    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Notify: a subscription ends this many days after it was made or last renewed.
    subscription_ttl_days: int = Field(default=180, ge=1, le=3650)
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    stream_queue_size: int = Field(default=1000, ge=1)
    # How long a stream ticket (`POST /api/v1/stream/tickets`) may wait to be used.
    stream_ticket_seconds: float = Field(default=60.0, gt=0, le=600)
    # A returning stream client is sent at most this many of the events it missed.
    stream_replay_max_events: int = Field(default=1000, ge=1, le=100_000)
    # How long the outbox's events count as kept; a returning stream client gets none older.
    outbox_retention_days: float = Field(default=7.0, gt=0, le=366)

    # Web pages: development sign-in (choose a demo user), and where the pages reach the
    # APIs (unset: this process).
    dev_login: bool = False
    api_url: str | None = None
    # Sign-in through the OIDC issuer above (authorization code with PKCE), and the key
    # that signs the pages' session cookie (default: derived from ZORGPLEK_JWT_SECRET).
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid profile"
    session_secret: str | None = None

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "Zorgplek <noreply@zorgplek.nl>"
    webhook_allow_private: bool = False

    log_level: str = "INFO"
    demo: bool = False

    @model_validator(mode="after")
    def _default_hold_within_cap(self) -> Settings:
        if self.reservation_ttl_minutes > self.hold_max_minutes:
            raise ValueError(
                "ZORGPLEK_RESERVATION_TTL_MINUTES may not exceed ZORGPLEK_HOLD_MAX_MINUTES"
            )
        return self

    @model_validator(mode="after")
    def _secret_is_strong(self) -> Settings:
        if self.env != "development" and self.jwt_secret is not None:
            check_secret(self.jwt_secret)
        return self

    def check_api(self) -> None:
        """What every API service needs (the web pages need neither): a database, and a
        way to check tokens. In development the database may be embedded and the secret is
        generated once."""
        if self.env == "development":
            self.signing_secret()
            return
        if self.jwt_secret is None and self.oidc_issuer is None:
            raise ValueError(
                "ZORGPLEK_JWT_SECRET (at least 32 bytes) or ZORGPLEK_OIDC_ISSUER is required "
                "outside development"
            )
        if self.database_url is None and not any(
            self.service_database_url(name) for name in SERVICES_WITH_DATA
        ):
            raise ValueError("ZORGPLEK_DATABASE_URL is required outside development")

    def service_database_url(self, service: str) -> str | None:
        """The URL a service connects with as its own role, where one is configured."""
        value = getattr(self, f"{service}_database_url", None)
        return value if isinstance(value, str) and value else None

    def signing_secret(self) -> str:
        """The HS256 secret; in development one is generated once and kept under `home`."""
        if self.jwt_secret is not None:
            return self.jwt_secret
        if self.env != "development":
            raise RuntimeError("no ZORGPLEK_JWT_SECRET configured")
        path = self.home / "jwt-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.jwt_secret = path.read_text().strip()
        return self.jwt_secret


def check_secret(secret: str) -> None:
    """Refuse a secret that is short or known from examples."""
    if secret.lower() in WEAK_SECRETS or len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"ZORGPLEK_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes and not an example"
        )


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()


async def app_settings(request: Request) -> Settings:
    """The settings the running app was built with. A coroutine, so FastAPI calls it in
    place rather than in a worker thread."""
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]
