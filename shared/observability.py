"""JSON logs with a request id, and request metrics labelled by route template."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import traceback
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import metrics, proxies
from shared.errors import crashed

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# The client's address behind trusted proxies (shared/proxies.py), for the audit log.
client_address: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "client_address", default=None
)
access_log = logging.getLogger("zorgplek.access")


class JsonFormatter(logging.Formatter):
    """One JSON object a line; `extra=` fields are kept, personal data is never logged.

    An exception is written as its types and stack frames only. Its message is left out:
    messages of the database driver, of Pydantic and of Python itself quote the values
    they failed on, and those may be notes, postcodes or names."""

    RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in self.RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return describe_exception(ei[1]) if ei[1] is not None else ""


def describe_exception(exc: BaseException) -> str:
    """Where `exc` and the exceptions that led to it were raised, and their types; never
    their messages."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts = []
    for error in reversed(chain):  # the first cause first, as Python prints them
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        kind = type(error)
        parts.append(
            f"Traceback (most recent call last):\n{frames}{kind.__module__}.{kind.__qualname__}"
        )
    return "\n\nwhich led to\n\n".join(parts)


# Loggers that would write what requests carry: uvicorn's access log (query strings,
# tokens of the stream), httpx's request lines (query strings of calls between services
# and of the pages' calls), SQLAlchemy's statement log. Our own access log replaces the
# first; the others speak only of warnings and worse.
QUIET_LOGGERS = ("httpx", "httpcore", "sqlalchemy", "asyncio", "aiosmtplib")


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    """JSON lines on standard output (or `stream`) for every logger of the process."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _route_service(scope: Scope, default: str) -> str:
    """The service that owns the matched route (several share one process in `zorgplek up`)."""
    module = getattr(getattr(scope.get("route"), "endpoint", None), "__module__", "")
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "services" else default


# What a trusted proxy's own request id may look like to be kept beside ours.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class RequestMiddleware:
    """Finds the real client behind trusted proxies (shared/proxies.py), gives each request
    an id of our own, logs it by route template (never the path or the query: they hold ids,
    tokens and whatever a client puts there), and counts it.

    The request id is always made here: a client's `X-Request-ID` is never stored. A trusted
    proxy's id, when it looks like one, is logged beside ours as `proxy_request_id`."""

    def __init__(
        self, app: ASGIApp, service: str, trusted_proxies: Sequence[proxies.Network] = ()
    ) -> None:
        self.app = app
        self.service = service
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from_proxy = proxies.apply(scope, self.trusted_proxies)
        upstream = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        proxy_rid = upstream if from_proxy and SAFE_REQUEST_ID.match(upstream) else None
        rid = uuid.uuid4().hex
        token = request_id.set(rid)
        client = scope.get("client")
        address_token = client_address.set(client[0] if client else None)
        status = 500
        started = time.perf_counter()

        responding = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responding
            if message["type"] == "http.response.start":
                status, responding = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                # Answered here, inside the request's id and route, not by the server's
                # outermost handler that knows neither.
                response = crashed(_route_template(scope), exc)
                if responding:
                    raise
                await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            if route not in ("/metrics", "/healthz", "/readyz"):
                service = _route_service(scope, self.service)
                metrics.http_requests.labels(service, route, method, str(status)).inc()
                metrics.http_request_duration.labels(service, route, method).observe(elapsed)
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                        **({"proxy_request_id": proxy_rid} if proxy_rid else {}),
                    },
                )
            request_id.reset(token)
            client_address.reset(address_token)
