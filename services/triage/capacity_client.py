"""Triage's only way to capacity: its HTTP API, with a service token. Triage never reads the
capacity schema, so the two can be deployed, scaled and migrated apart."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Annotated, Any, TypeVar

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ValidationError

from shared.auth import issue_token
from shared.contracts.capacity import (
    CandidatePlace,
    Candidates,
    FacilityOut,
    HoldEnding,
    HoldIn,
    HoldOut,
    OrganisationOut,
    TrackRecord,
)
from shared.errors import Unavailable
from shared.http import client as http_client
from shared.pagination import Page
from shared.settings import Settings

log = logging.getLogger("zorgplek.triage.capacity")
M = TypeVar("M", bound=BaseModel)

SERVICE_SUB = "service:triage"
SERVICE_NAME = "Zorgplek triage"
TOKEN_TTL_SECONDS = 3600
PAGE_SIZE = 500
MAX_ORGANISATIONS = 6000  # a guard on paging
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# Idle connections are dropped before the server's keep-alive (uvicorn: 5 s) would drop them.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=2.0)
RETRIES = 1
RECORDS_PER_CALL = 100  # capacity's bound on the locations of one records request


class CapacityUnavailable(Unavailable):
    """The capacity service could not be reached or failed; nothing was changed."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"The capacity service cannot be reached ({what}); nothing was changed. "
            "Try again in a moment.",
            headers={"Retry-After": "5"},
        )


class UnknownFacility(Exception):
    """The capacity service knows no facility with this id."""


class HoldEnded(Exception):
    """The hold is no longer active at the capacity service (expired or released)."""

    def __init__(self, hold_status: str | None) -> None:
        super().__init__(hold_status)
        self.hold_status = hold_status


class CapacityClient:
    """Calls the capacity service as `service:triage`."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.base_url = (settings.capacity_url or settings.self_url()).rstrip("/")
        self.http = http or http_client(base_url=self.base_url, timeout=TIMEOUT, limits=LIMITS)
        self._token: str | None = None
        self._token_renew_at = 0.0

    async def close(self) -> None:
        await self.http.aclose()

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        now = time.monotonic()
        if self._token is None or now >= self._token_renew_at:
            self._token = issue_token(
                self.settings,
                sub=SERVICE_SUB,
                name=SERVICE_NAME,
                roles=["service"],
                ttl_seconds=TOKEN_TTL_SECONDS,
            )
            self._token_renew_at = now + TOKEN_TTL_SECONDS / 2
        return {"Authorization": f"Bearer {self._token}", **(extra or {})}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        expected: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        """One request; any answer outside `expected` (and 404/409, which callers read)
        means the capacity service is not usable right now."""
        response: httpx.Response | None = None
        for attempt in range(1 + RETRIES):
            try:
                response = await self.http.request(
                    method, path, params=params, json=json, headers=self._headers(headers)
                )
                break
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                # A kept-alive connection the server has just closed; every call here is
                # safe to repeat (holds carry an Idempotency-Key; commit and release are
                # idempotent), so one fresh try is made.
                if attempt < RETRIES:
                    continue
                log.warning(
                    "capacity call failed", extra={"path": path, "error": type(exc).__name__}
                )
                raise CapacityUnavailable(type(exc).__name__) from exc
            except httpx.HTTPError as exc:
                log.warning(
                    "capacity call failed", extra={"path": path, "error": type(exc).__name__}
                )
                raise CapacityUnavailable(type(exc).__name__) from exc
        assert response is not None
        if response.status_code in expected or response.status_code in (404, 409):
            return response
        log.error(
            "capacity call answered unexpectedly",
            extra={"path": path, "status": response.status_code},
        )
        raise CapacityUnavailable(f"it answered {response.status_code}")

    async def candidates(
        self, *, place_type: str, region: str | None, features: list[str]
    ) -> list[CandidatePlace]:
        """Every candidate place of `place_type` with at least one free, stale ones
        included, in one answer (`GET /api/v1/availability/candidates`)."""
        params: dict[str, str] = {"place_type": place_type}
        if region is not None:
            params["region"] = region
        if features:
            params["features"] = ",".join(features)
        response = await self._call("GET", "/api/v1/availability/candidates", params=params)
        if response.status_code != 200:
            raise CapacityUnavailable(f"candidates answered {response.status_code}")
        return _parse(Candidates, response, "candidates").items

    async def facility(self, facility_id: uuid.UUID) -> FacilityOut | None:
        """One facility, or None when capacity does not know it."""
        response = await self._call("GET", f"/api/v1/facilities/{facility_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise CapacityUnavailable(f"facility answered {response.status_code}")
        return _parse(FacilityOut, response, "facility")

    async def records(self, facility_ids: list[uuid.UUID]) -> dict[uuid.UUID, TrackRecord]:
        """The track records of these locations (unknown ones left out), a hundred a call."""
        found: dict[uuid.UUID, TrackRecord] = {}
        for start in range(0, len(facility_ids), RECORDS_PER_CALL):
            chunk = facility_ids[start : start + RECORDS_PER_CALL]
            response = await self._call(
                "GET",
                "/api/v1/compliance/records",
                params={"facility_id": [str(i) for i in chunk]},
            )
            if response.status_code != 200:
                raise CapacityUnavailable(f"records answered {response.status_code}")
            for record in _parse(Page[TrackRecord], response, "records").items:
                found[record.facility_id] = record
        return found

    async def organisation_ids(self, kind: str) -> frozenset[uuid.UUID]:
        """Every organisation of one kind (e.g. `hospital`), page by page."""
        found: set[uuid.UUID] = set()
        cursor: str | None = None
        while len(found) < MAX_ORGANISATIONS:
            params = {"kind": kind, "limit": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
            response = await self._call("GET", "/api/v1/organisations", params=params)
            if response.status_code != 200:
                raise CapacityUnavailable(f"organisations answered {response.status_code}")
            page = _parse(Page[OrganisationOut], response, "organisations")
            found.update(o.id for o in page.items)
            cursor = page.next_cursor
            if not cursor:
                break
        return frozenset(found)

    async def organisation(self, organisation_id: uuid.UUID) -> OrganisationOut | None:
        """One organisation (its location is the default starting point of matching)."""
        response = await self._call("GET", f"/api/v1/organisations/{organisation_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise CapacityUnavailable(f"organisation answered {response.status_code}")
        return _parse(OrganisationOut, response, "organisation")

    async def hold(
        self,
        *,
        key: uuid.UUID,
        facility_id: uuid.UUID,
        place_type: str,
        referral_id: uuid.UUID,
        ttl_seconds: int,
    ) -> HoldOut | None:
        """Hold one place; None when none is free (or the facility offers no such place).
        Idempotent on `key`: a repeat returns the same hold instead of taking a second
        place. Raises `UnknownFacility` for an id capacity does not know."""
        asked = HoldIn(
            facility_id=facility_id,
            place_type=place_type,
            referral_id=referral_id,
            ttl_seconds=ttl_seconds,
        )
        response = await self._call(
            "POST",
            "/api/v1/holds",
            json=asked.model_dump(mode="json"),
            headers={"Idempotency-Key": str(key)},
            expected=(201,),
        )
        if response.status_code == 409:
            return None
        if response.status_code == 404:
            raise UnknownFacility(str(facility_id))
        if response.status_code != 201:
            raise CapacityUnavailable(f"hold answered {response.status_code}")
        return _parse(HoldOut, response, "hold")

    async def commit(self, hold_id: uuid.UUID) -> None:
        """The held place becomes occupied. A hold that was committed before counts as done
        (a retried accept); one that expired or was released raises `HoldEnded`."""
        response = await self._call("POST", f"/api/v1/holds/{hold_id}/commit")
        if response.status_code == 200:
            return
        hold_status = _hold_status(response)
        if response.status_code == 409 and hold_status == "committed":
            return
        raise HoldEnded(hold_status if response.status_code == 409 else "unknown")

    async def release(self, hold_id: uuid.UUID, ending: HoldEnding | None = None) -> None:
        """Give the place back, saying why (`ending`: the reservation's outcome, kept for the
        location's track record); a hold that already ended or is unknown needs nothing.
        A committed hold raises `HoldEnded("committed")`."""
        params = ending.model_dump(exclude_none=True) if ending is not None else None
        response = await self._call("DELETE", f"/api/v1/holds/{hold_id}", params=params)
        if response.status_code == 409:
            raise HoldEnded(_hold_status(response))


def _parse(model: type[M], response: httpx.Response, what: str) -> M:
    """The answer as its wire model; an answer that does not fit it means the capacity
    service is not one this triage can work with right now."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        log.error("capacity answer does not fit its contract", extra={"what": what})
        raise CapacityUnavailable(f"its {what} answer did not fit") from exc


def _hold_status(response: httpx.Response) -> str | None:
    try:
        status = response.json().get("hold_status")
    except ValueError:
        return None
    return str(status) if status is not None else None


async def open_client(app: FastAPI) -> None:
    """Start-up: one client (and connection pool) per process. Triage signs its own service
    token, so it refuses to start without a secret to sign it with."""
    settings: Settings = app.state.settings
    try:
        settings.signing_secret()
    except RuntimeError as exc:
        raise RuntimeError(
            "triage calls the capacity service with a service token signed with "
            "ZORGPLEK_JWT_SECRET; set it (at least 32 bytes), also when people sign in "
            "through OIDC"
        ) from exc
    app.state.triage_capacity = CapacityClient(settings)


async def close_client(app: FastAPI) -> None:
    """Shut-down: close the client's connections."""
    client: CapacityClient | None = getattr(app.state, "triage_capacity", None)
    if client is not None:
        await client.close()


def capacity_client(request: Request) -> CapacityClient:
    """The process's capacity client (a dependency)."""
    client: CapacityClient = request.app.state.triage_capacity
    return client


CapacityApi = Annotated[CapacityClient, Depends(capacity_client)]
