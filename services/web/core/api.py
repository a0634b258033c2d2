"""The pages call the public API over HTTP with the signed-in user's token, as any client
would. Every call the pages make is one method of `Api`, with its path declared once here
(`Route`/`Endpoint`) and its answer parsed into the contract the producing service answers
with (`shared.contracts`): a renamed field is a type error here and at the producer. Every
failure becomes an `ApiError` carrying a readable Dutch message."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, NotRequired, TypedDict, TypeVar

import httpx
from pydantic import BaseModel

from services.web.core.messages import field_message, status_message
from shared.contracts.capacity import (
    AvailabilityItem,
    CapacityStateOut,
    Compliance,
    ConfirmOut,
    FacilityOut,
    OrganisationOut,
    RegionalHistory,
    Summary,
    TrackRecord,
)
from shared.contracts.matching import Matches
from shared.contracts.referrals import Colleagues, QueueItem, ReferralOut, Timeline
from shared.contracts.reservations import ReservationOut
from shared.contracts.session import DemoTokenOut, DemoUsersOut, SessionOut
from shared.contracts.stats import Stats
from shared.http import client as http_client
from shared.pagination import Page

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
    return http_client(timeout=TIMEOUT, limits=httpx.Limits(max_keepalive_connections=20))


T = TypeVar("T", bound=BaseModel)
# Query parameters as httpx takes them; a list repeats the parameter.
Query = dict[str, str | int | list[str]]


@dataclass(frozen=True, slots=True)
class Route:
    """One call of the API: its method and its path, `{name}` standing for an id. A bare
    `Route` answers nothing (204); `body`, when set, is the shape of the JSON it sends."""

    method: str
    path: str
    body: type | None = None

    def url(self, **ids: uuid.UUID | str) -> str:
        return self.path.format(**{name: str(value) for name, value in ids.items()})


@dataclass(frozen=True, slots=True)
class Endpoint(Route, Generic[T]):
    """A call whose answer is parsed into `answer`, the producer's own response model."""

    answer: type[T] = field(kw_only=True)


class PatientBody(TypedDict):
    birth_year: int
    sex: str
    postcode: str


class PointBody(TypedDict):
    lat: float
    lon: float


class ReferralBody(TypedDict):
    """`POST /api/v1/referrals`: only what matching needs, never a name or a BSN."""

    place_type: str
    urgency: str
    patient: PatientBody
    needs: list[str]
    region_code: str
    planned_date: NotRequired[str]
    notes: NotRequired[str]
    reference: NotRequired[str]
    near: NotRequired[PointBody]
    preferred_facility_ids: NotRequired[list[str]]


class ReservationBody(TypedDict):
    facility_id: str


class CancelBody(TypedDict):
    reason: str
    reason_code: str


class AdviceBody(TypedDict):
    advice: str
    advice_reason: NotRequired[str]


class AssignBody(TypedDict):
    assignee: str | None


class DeclineBody(TypedDict):
    reason_code: str
    note: NotRequired[str]


class CapacityBody(TypedDict):
    """A capacity report of one place type, observed at `observed_at` (RFC 3339)."""

    staffed: int | None
    occupied: int | None
    available: int | None
    expected_available_24h: int | None
    observed_at: str
    source: str  # `page`: typed by a person on Mijn locaties


class ContactBody(TypedDict):
    """How to reach a location; None clears a field."""

    street: str | None
    house_number: str | None
    phone: str | None
    contact_note: str | None


class ConfirmBody(TypedDict):
    """Place type → the report time (`observed_at`) the page showed."""

    seen: dict[str, str]


class DemoSignInBody(TypedDict):
    sub: str


SESSION = Endpoint("GET", "/api/v1/session", answer=SessionOut)
SIGN_IN = Endpoint("POST", "/api/v1/session", answer=SessionOut)
SIGN_OUT = Route("DELETE", "/api/v1/session")
# Server-Sent Events, relayed to the browser as they come (`services.web.live`).
STREAM = Route("GET", "/api/v1/stream")
DEMO_USERS = Endpoint("GET", "/api/v1/demo/users", answer=DemoUsersOut)
DEMO_SIGN_IN = Endpoint("POST", "/api/v1/demo/sign-in", DemoSignInBody, answer=DemoTokenOut)
ORGANISATION = Endpoint("GET", "/api/v1/organisations/{organisation_id}", answer=OrganisationOut)
FACILITIES = Endpoint("GET", "/api/v1/facilities", answer=Page[FacilityOut])
FACILITY = Endpoint("GET", "/api/v1/facilities/{facility_id}", answer=FacilityOut)
FACILITY_CONTACT = Endpoint(
    "PATCH", "/api/v1/facilities/{facility_id}", ContactBody, answer=FacilityOut
)
CAPACITY = Endpoint(
    "GET", "/api/v1/facilities/{facility_id}/capacity", answer=Page[CapacityStateOut]
)
REPORT_CAPACITY = Endpoint(
    "PUT",
    "/api/v1/facilities/{facility_id}/capacity/{place_type}",
    CapacityBody,
    answer=CapacityStateOut,
)
CONFIRM_CAPACITY = Endpoint(
    "POST", "/api/v1/facilities/{facility_id}/capacity/confirm", ConfirmBody, answer=ConfirmOut
)
TRACK_RECORD = Endpoint("GET", "/api/v1/facilities/{facility_id}/record", answer=TrackRecord)
COMPLIANCE = Endpoint("GET", "/api/v1/compliance", answer=Compliance)
AVAILABILITY = Endpoint("GET", "/api/v1/availability", answer=Page[AvailabilityItem])
AVAILABILITY_SUMMARY = Endpoint("GET", "/api/v1/availability/summary", answer=Summary)
AVAILABILITY_HISTORY = Endpoint("GET", "/api/v1/availability/history", answer=RegionalHistory)
REFERRALS = Endpoint("GET", "/api/v1/referrals", answer=Page[ReferralOut])
SUBMIT_REFERRAL = Endpoint("POST", "/api/v1/referrals", ReferralBody, answer=ReferralOut)
REFERRAL = Endpoint("GET", "/api/v1/referrals/{referral_id}", answer=ReferralOut)
TIMELINE = Endpoint("GET", "/api/v1/referrals/{referral_id}/events", answer=Timeline)
MATCHES = Endpoint("GET", "/api/v1/referrals/{referral_id}/matches", answer=Matches)
ESCALATE = Endpoint("POST", "/api/v1/referrals/{referral_id}/escalate", answer=ReferralOut)
RESERVE = Endpoint(
    "POST", "/api/v1/referrals/{referral_id}/reservations", ReservationBody, answer=ReservationOut
)
CLAIM = Endpoint("POST", "/api/v1/referrals/{referral_id}/claim", answer=ReferralOut)
ASSIGN = Endpoint("POST", "/api/v1/referrals/{referral_id}/assign", AssignBody, answer=ReferralOut)
ADVISE = Endpoint("POST", "/api/v1/referrals/{referral_id}/advice", AdviceBody, answer=ReferralOut)
HAND_OVER = Endpoint("POST", "/api/v1/referrals/{referral_id}/handover", answer=ReferralOut)
CANCEL = Endpoint("POST", "/api/v1/referrals/{referral_id}/cancel", CancelBody, answer=ReferralOut)
QUEUE = Endpoint("GET", "/api/v1/queue", answer=Page[QueueItem])
TRIAGISTS = Endpoint("GET", "/api/v1/triagists", answer=Colleagues)
RESERVATIONS = Endpoint("GET", "/api/v1/reservations", answer=Page[ReservationOut])
ACCEPT = Endpoint("POST", "/api/v1/reservations/{reservation_id}/accept", answer=ReservationOut)
DECLINE = Endpoint(
    "POST", "/api/v1/reservations/{reservation_id}/decline", DeclineBody, answer=ReservationOut
)
RELEASE = Endpoint("POST", "/api/v1/reservations/{reservation_id}/release", answer=ReservationOut)
STATS = Endpoint("GET", "/api/v1/stats", answer=Stats)


class Api:
    """The API as the signed-in user sees it: one method per call the pages make."""

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

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Query | None = None,
        json: object = None,
        conflict: str | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Call the API; answer the successful response, or raise `ApiError` in Dutch.
        `conflict` is the message to show for a 409."""
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
            return response
        raise error_from(response, conflict)

    async def _call(
        self,
        endpoint: Endpoint[T],
        *,
        ids: Mapping[str, uuid.UUID | str] | None = None,
        params: Query | None = None,
        body: object = None,
        conflict: str | None = None,
        idempotency_key: str | None = None,
    ) -> T:
        """`endpoint`'s answer, parsed into its contract."""
        if body is None and endpoint.method in ("POST", "PUT", "PATCH"):
            body = {}
        response = await self._send(
            endpoint.method,
            endpoint.url(**(ids or {})),
            params=params,
            json=body,
            conflict=conflict,
            idempotency_key=idempotency_key,
        )
        return endpoint.answer.model_validate_json(response.content)

    # Who is signed in, and the development sign-in.

    async def session(self) -> SessionOut:
        """Who the token stands for now."""
        return await self._call(SESSION)

    async def sign_in(self) -> SessionOut:
        """As `session`, written to the audit log as the sign-in."""
        return await self._call(SIGN_IN)

    async def sign_out(self) -> None:
        """End the token's session in every service."""
        await self._send(SIGN_OUT.method, SIGN_OUT.url())

    async def demo_users(self) -> DemoUsersOut:
        return await self._call(DEMO_USERS)

    async def demo_sign_in(self, sub: str) -> DemoTokenOut:
        return await self._call(DEMO_SIGN_IN, body=DemoSignInBody(sub=sub))

    async def organisation(self, organisation_id: uuid.UUID) -> OrganisationOut:
        return await self._call(ORGANISATION, ids={"organisation_id": organisation_id})

    # Locations and their capacity.

    async def facilities(self, organisation_id: uuid.UUID, limit: int) -> Page[FacilityOut]:
        """The locations of one organisation."""
        params: Query = {"organisation_id": str(organisation_id), "limit": limit}
        return await self._call(FACILITIES, params=params)

    async def facility(self, facility_id: uuid.UUID) -> FacilityOut:
        return await self._call(FACILITY, ids={"facility_id": facility_id})

    async def change_contact(self, facility_id: uuid.UUID, body: ContactBody) -> FacilityOut:
        """Change how to reach a location; only its own provider may."""
        return await self._call(FACILITY_CONTACT, ids={"facility_id": facility_id}, body=body)

    async def capacity(self, facility_id: uuid.UUID) -> Page[CapacityStateOut]:
        """The current numbers of each place type reported for a location."""
        return await self._call(CAPACITY, ids={"facility_id": facility_id})

    async def report_capacity(
        self, facility_id: uuid.UUID, place_type: str, body: CapacityBody
    ) -> CapacityStateOut:
        ids: dict[str, uuid.UUID | str] = {"facility_id": facility_id, "place_type": place_type}
        return await self._call(REPORT_CAPACITY, ids=ids, body=body)

    async def confirm_capacity(self, facility_id: uuid.UUID, seen: dict[str, str]) -> ConfirmOut:
        """Report every place type of a location again with the numbers `seen` on the page."""
        body = ConfirmBody(seen=seen)
        return await self._call(CONFIRM_CAPACITY, ids={"facility_id": facility_id}, body=body)

    async def track_record(self, facility_id: uuid.UUID) -> TrackRecord:
        """A location's track record over the last 30 days."""
        return await self._call(TRACK_RECORD, ids={"facility_id": facility_id})

    async def compliance(self, region: str | None) -> Compliance:
        """Every location of the region (all the caller's without one) with its record."""
        return await self._call(COMPLIANCE, params=_region(region))

    async def availability(self, params: Query) -> Page[AvailabilityItem]:
        """The availability search; `params` are its query parameters."""
        return await self._call(AVAILABILITY, params=params)

    async def availability_summary(self, region: str | None) -> Summary:
        return await self._call(AVAILABILITY_SUMMARY, params=_region(region))

    async def availability_history(self, region: str | None, days: int) -> RegionalHistory:
        return await self._call(AVAILABILITY_HISTORY, params={**_region(region), "days": days})

    # Referrals, the queue and reservations.

    async def referrals(self, limit: int, reference: str = "") -> Page[ReferralOut]:
        """The referrals the caller may see; with `reference`, those with that own
        reference."""
        params: Query = {"limit": limit}
        if reference:
            params["reference"] = reference
        return await self._call(REFERRALS, params=params)

    async def submit_referral(self, body: ReferralBody, key: str) -> ReferralOut:
        """Submit a referral; `key` makes a repeated submit harmless."""
        return await self._call(SUBMIT_REFERRAL, body=body, idempotency_key=key)

    async def referral(self, referral_id: uuid.UUID) -> ReferralOut:
        return await self._call(REFERRAL, ids={"referral_id": referral_id})

    async def timeline(self, referral_id: uuid.UUID) -> Timeline:
        return await self._call(TIMELINE, ids={"referral_id": referral_id})

    async def matches(
        self, referral_id: uuid.UUID, *, scope: str | None = None, include_ineligible: bool = False
    ) -> Matches:
        """The referral's matches; a first supra-regional search escalates the referral."""
        params: Query = {}
        if scope is not None:
            params["scope"] = scope
        if include_ineligible:
            params["include_ineligible"] = "true"
        return await self._call(MATCHES, ids={"referral_id": referral_id}, params=params)

    async def escalate(self, referral_id: uuid.UUID) -> ReferralOut:
        """Widen the referral's search beyond its region (recorded once)."""
        return await self._call(ESCALATE, ids={"referral_id": referral_id})

    async def reserve(
        self,
        referral_id: uuid.UUID,
        facility_id: uuid.UUID,
        *,
        conflict: str,
        key: str | None = None,
    ) -> ReservationOut:
        """Reserve a place at `facility_id` for the referral."""
        return await self._call(
            RESERVE,
            ids={"referral_id": referral_id},
            body=ReservationBody(facility_id=str(facility_id)),
            conflict=conflict,
            idempotency_key=key,
        )

    async def claim(self, referral_id: uuid.UUID, *, conflict: str) -> ReferralOut:
        return await self._call(CLAIM, ids={"referral_id": referral_id}, conflict=conflict)

    async def assign(self, referral_id: uuid.UUID, assignee: str | None) -> ReferralOut:
        body = AssignBody(assignee=assignee)
        return await self._call(ASSIGN, ids={"referral_id": referral_id}, body=body)

    async def advise(
        self, referral_id: uuid.UUID, advice: str, reason: str | None = None
    ) -> ReferralOut:
        """Close the referral with advice; `reason` `no_place`: nothing suitable was free."""
        body = AdviceBody(advice=advice)
        if reason:
            body["advice_reason"] = reason
        return await self._call(ADVISE, ids={"referral_id": referral_id}, body=body)

    async def hand_over(self, referral_id: uuid.UUID) -> ReferralOut:
        return await self._call(HAND_OVER, ids={"referral_id": referral_id})

    async def cancel(self, referral_id: uuid.UUID, reason: str, reason_code: str) -> ReferralOut:
        body = CancelBody(reason=reason, reason_code=reason_code)
        return await self._call(CANCEL, ids={"referral_id": referral_id}, body=body)

    async def queue(self, limit: int) -> Page[QueueItem]:
        return await self._call(QUEUE, params={"limit": limit})

    async def triagists(self, region: str) -> Colleagues:
        """The triagists of a region."""
        return await self._call(TRIAGISTS, params={"region": region})

    async def reservations(self, limit: int, status: str | None = None) -> Page[ReservationOut]:
        params: Query = {"limit": limit}
        if status is not None:
            params["status"] = status
        return await self._call(RESERVATIONS, params=params)

    async def accept(self, reservation_id: uuid.UUID, *, conflict: str) -> ReservationOut:
        ids = {"reservation_id": reservation_id}
        return await self._call(ACCEPT, ids=ids, conflict=conflict)

    async def decline(
        self, reservation_id: uuid.UUID, body: DeclineBody, *, conflict: str
    ) -> ReservationOut:
        ids = {"reservation_id": reservation_id}
        return await self._call(DECLINE, ids=ids, body=body, conflict=conflict)

    async def release(self, reservation_id: uuid.UUID, *, conflict: str) -> ReservationOut:
        ids = {"reservation_id": reservation_id}
        return await self._call(RELEASE, ids=ids, conflict=conflict)

    async def stats(self, region: str | None, since: datetime | None = None) -> Stats:
        """The key figures of the region (all the caller's without one), from `since`
        (default: the last 30 days)."""
        params = {**_region(region), **({"from": since.isoformat()} if since else {})}
        return await self._call(STATS, params=params)


def _region(region: str | None) -> Query:
    return {"region": region} if region else {}


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
