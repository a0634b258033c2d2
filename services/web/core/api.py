"""The pages call the public API over HTTP with the signed-in user's token, as any client
would; every failure becomes an `ApiError` carrying a readable Dutch message."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from services.web.core.messages import field_message, status_message

log = logging.getLogger("zorgplek.web")
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class ApiError(Exception):
    """An API call that did not succeed: `message` is Dutch, `fields` maps a field name
    to its Dutch message (from a 422's `errors`); `care_rules` is set when the care rules
    refused it (a 409 whose `detail` is already Dutch)."""

    def __init__(
        self,
        status: int,
        message: str,
        fields: dict[str, str] | None = None,
        *,
        care_rules: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.care_rules = care_rules


def new_http_client() -> httpx.AsyncClient:
    """One pooled client per process; pages reuse its connections."""
    return httpx.AsyncClient(timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=20))


class Api:
    """The API as the signed-in user sees it."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: str | None,
        forwarded: dict[str, str] | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token
        # The user's own address (X-Forwarded-For), for the APIs' audit log.
        self.forwarded = forwarded or {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        conflict: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call the API; answer the JSON body, or raise `ApiError` in Dutch. `conflict` is
        the message to show for a 409."""
        headers = {**self.forwarded, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = await self.http.request(
                method, self.base_url + path, params=params, json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            log.warning("API unreachable", extra={"path": path, "error": type(exc).__name__})
            raise ApiError(503, status_message(503)) from exc
        if response.status_code < 300:
            return response.json() if response.content else None
        raise error_from(response, conflict)

    async def get(self, path: str, params: Any = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(
        self,
        path: str,
        json: Any = None,
        *,
        conflict: str | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        return await self.request(
            "POST",
            path,
            json=json if json is not None else {},
            conflict=conflict,
            idempotency_key=idempotency_key,
        )

    async def put(self, path: str, json: Any) -> Any:
        return await self.request("PUT", path, json=json)

    async def patch(self, path: str, json: Any) -> Any:
        return await self.request("PATCH", path, json=json)

    async def delete(self, path: str) -> Any:
        return await self.request("DELETE", path)


def error_from(response: httpx.Response, conflict: str | None = None) -> ApiError:
    """The Dutch form of a problem+json answer; never the raw JSON."""
    status = response.status_code
    fields: dict[str, str] = {}
    detail = ""
    care_rules = False
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("detail") or "")
        care_rules = status == 409 and bool(body.get("rules"))
        for error in body.get("errors") or []:
            if not isinstance(error, dict):
                continue
            loc = [str(part) for part in error.get("loc") or []]
            name = next((p for p in reversed(loc) if not p.isdigit()), "")
            if name in ("body", "query", "path"):
                name = ""
            fields.setdefault(name, field_message(str(error.get("msg") or "")))
    if care_rules and detail:
        message = detail  # the care rules speak Dutch: "Deze locatie neemt op vanaf ma 08:00; …"
    elif status == 409 and conflict:
        message = conflict
    elif status == 422 and fields:
        message = "Niet alle gegevens zijn goed ingevuld; zie de meldingen bij de velden."
    else:
        message = status_message(status, detail)
    if status >= 500:
        log.warning("API failed", extra={"status": status, "path": response.request.url.path})
    return ApiError(status, message, fields, care_rules=care_rules)
