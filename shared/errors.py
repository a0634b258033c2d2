"""Domain errors carry their HTTP status; one set of handlers renders every failure as
RFC 9457 problem+json, with no stack trace or SQL in it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
API_PREFIXES = ("/api/", "/fhir")
log = logging.getLogger("zorgplek.errors")

# A page for a browser that asked for an address or method that does not exist.
HtmlErrorPage = Callable[[Request, int], Awaitable[Response]]


def wants_page(request: Request) -> bool:
    """A browser outside the API: it asks for HTML. The API answers problem+json always."""
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith(
        API_PREFIXES
    )


# Renders every failure under a path prefix in another format (FHIR's OperationOutcome
# under /fhir); everywhere else failures are problem+json.
ErrorRenderer = Callable[["DomainError"], Response]


class DomainError(Exception):
    """A failure the caller can understand and act on."""

    status = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        self.extra = extra or {}
        self.headers = headers


def failure(
    status: int,
    detail: str,
    *,
    errors: Sequence[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> DomainError:
    """A failure with any status, for the renderers."""
    error = DomainError(detail, errors=errors, headers=headers)
    error.status = status
    error.title = HTTPStatus(status).phrase
    return error


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Invalid(DomainError):
    """A malformed field or a broken rule between fields; `errors` names each field."""

    status = 422
    title = "Unprocessable content"

    def __init__(self, detail: str, *, loc: Sequence[str | int], msg: str | None = None) -> None:
        super().__init__(detail, errors=[{"loc": list(loc), "msg": msg or detail}])


class PayloadTooLarge(DomainError):
    status = 413
    title = "Content too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class Unavailable(DomainError):
    status = 503
    title = "Service unavailable"


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route, so OpenAPI lists the problems it may answer."""
    return {
        status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: {}}}
        for status in statuses
    }


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "invalid"))}
        for err in exc.errors()
    ]


# Deadlock, serialization failure, and the classes "connection exception", "insufficient
# resources" and "operator intervention" (a restart or failover): retrying may succeed.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57")
UNREACHABLE_SQLSTATE_CLASSES = ("08", "57")
# "Data exception": a value the database cannot take (out of range, NUL in text, ...).
DATA_EXCEPTION_CLASS = "22"


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def is_transient(exc: DBAPIError) -> bool:
    """Whether the failure says nothing about the request, so a retry may succeed."""
    state = _sqlstate(exc)
    return exc.connection_invalidated or (
        state is not None
        and (state in TRANSIENT_SQLSTATES or state.startswith(TRANSIENT_SQLSTATE_CLASSES))
    )


def route_of(request: Request) -> str:
    """The route template a request matched (never the path: it holds what was sent)."""
    path = getattr(request.scope.get("route"), "path", None)
    return path if isinstance(path, str) else "unmatched"


def _render(request: Request, exc: DomainError) -> Response:
    """problem+json, or the format of a renderer registered for the path's prefix."""
    path = request.url.path
    renderers: Sequence[tuple[str, ErrorRenderer]] = getattr(
        request.app.state, "error_renderers", ()
    )
    for prefix, renderer in renderers:
        if path == prefix or path.startswith(prefix + "/"):
            return renderer(exc)
    return problem(
        exc.status,
        exc.detail,
        title=exc.title,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers,
    )


def install_handlers(app: FastAPI) -> None:
    """Render domain errors, HTTP errors, validation errors and crashes as problem+json (or
    in the format registered for the path's prefix, e.g. OperationOutcome under /fhir).
    What they log is the error's type, the route and the request id (added by the log
    formatter), never a message that may quote what was sent."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return _render(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        fields = ", ".join(".".join(e["loc"]) for e in errors)
        return _render(request, failure(422, f"Invalid input: {fields}", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers) if exc.headers else None
        page: HtmlErrorPage | None = getattr(request.app.state, "html_error_page", None)
        if page is not None and exc.status_code in (404, 405) and wants_page(request):
            response = await page(request, exc.status_code)
            response.headers.update(headers or {})
            return response
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return _render(request, failure(exc.status_code, detail, headers=headers))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        state = _sqlstate(exc)
        where = {"route": route_of(request), "error": type(exc).__name__, "sqlstate": state}
        if state is not None and state.startswith(DATA_EXCEPTION_CLASS):
            # A value the checks let through but the database cannot store: the caller's
            # input, so a 4xx; the checks should be taught to refuse it by name.
            log.warning("input refused by the database", extra=where)
            return _render(
                request,
                failure(
                    422,
                    "A value in this request cannot be stored (out of range or not valid text).",
                    errors=[{"loc": ["request"], "msg": "a value cannot be stored"}],
                ),
            )
        if not is_transient(exc):
            return await _crash(request, exc)
        unreachable = exc.connection_invalidated or (
            state is not None and state.startswith(UNREACHABLE_SQLSTATE_CLASSES)
        )
        log.warning(
            "database unreachable" if unreachable else "transient database failure", extra=where
        )
        return _render(
            request,
            failure(
                503,
                "The database is busy or briefly unreachable; nothing was changed. "
                "Please try again.",
                headers={"Retry-After": "5" if unreachable else "1"},
            ),
        )

    @app.exception_handler(PoolTimeout)
    async def _pool_busy(request: Request, exc: PoolTimeout) -> Response:
        # Every pooled connection stayed busy for the pool's whole timeout: too much load
        # at once for this process; the request did nothing.
        log.warning("no database connection free", extra={"route": route_of(request)})
        return _render(
            request,
            failure(
                503,
                "The service is busy; nothing was changed. Please try again.",
                headers={"Retry-After": "1"},
            ),
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        problem_response = crashed(route_of(request), exc)  # logs the crash
        renderers = getattr(request.app.state, "error_renderers", ())
        if any(request.url.path.startswith(prefix) for prefix, _ in renderers):
            return _render(
                request, failure(500, "An unexpected error occurred; it has been logged.")
            )
        return problem_response


def crashed(route: str, exc: BaseException) -> JSONResponse:
    """Log a crash (its type, route and where it happened) and answer a plain 500."""
    log.error("unhandled error", exc_info=exc, extra={"route": route, "error": type(exc).__name__})
    return problem(500, "An unexpected error occurred; it has been logged.")
