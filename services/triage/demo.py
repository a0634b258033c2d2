"""Demo referrals: a working queue for a newcomer, with a referral in every status — new
and claimable, in triage, searching again after a released place, reserved (waiting for
J. Visser of Zorgbalans), placed, handed over, advised and cancelled.

Each is made by the demo users through the same use cases as a real request — submit,
claim, matching, reserve, release, accept, handover, advice, cancel — so the timeline,
the events and the places held at the capacity service are what they would be. A referral
is recognised by its `reference` (`DEMO-…`): loading twice adds nothing. A step that cannot
be taken now (no eligible place free, say) is left out, and the referral stays where it
got to. Loaded at start-up with `ZORGPLEK_DEMO` (`zorgplek up --demo`), after the
capacity demo; where capacity runs in the same process it is called in-process."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.triage.audit.service import Trail
from services.triage.capacity_client import CapacityClient
from services.triage.context import Context
from services.triage.matching import service as matching
from services.triage.referrals import service as referrals
from services.triage.referrals.models import Referral
from services.triage.referrals.schemas import ReferralIn
from services.triage.reservations import answers, release, reserving
from services.triage.reservations import repository as reservations
from services.triage.reservations.schemas import ReservationIn
from shared.auth import Principal
from shared.errors import DomainError
from shared.settings import Settings

log = logging.getLogger("zorgplek.triage.demo")


def data() -> dict[str, Any]:
    text = resources.files("services.triage").joinpath("data", "demo.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def people() -> dict[str, Principal]:
    """The demo users who act, by their part: `huisarts`, `triagist`, `aanbieder`."""
    return {
        part: Principal(
            sub=person["sub"],
            name=person["name"],
            org=uuid.UUID(person["organisation_id"]),
            roles=frozenset({person["role"]}),
            regions=tuple(person["regions"]),
        )
        for part, person in data()["people"].items()
    }


@dataclass(slots=True)
class Demo:
    """What the demo works with: the database, the capacity service and the settings."""

    sessions: async_sessionmaker[AsyncSession]
    capacity: CapacityClient
    settings: Settings
    people: dict[str, Principal]

    @asynccontextmanager
    async def step(self) -> AsyncIterator[Context]:
        """One step in a transaction of its own, as one request would be."""
        async with self.sessions.begin() as session:
            yield Context(
                session=session,
                sessions=self.sessions,
                capacity=self.capacity,
                settings=self.settings,
                now=datetime.now(UTC),
            )


async def load(demo: Demo) -> int:
    """Make the demo referrals that do not exist yet; how many were made."""
    made = 0
    for entry in data()["referrals"]:
        async with demo.sessions() as read:
            known = await read.scalar(
                select(Referral.id).where(Referral.reference == entry["reference"]).limit(1)
            )
        if known is not None:
            continue
        referral_id = await _submit(demo, entry)
        made += 1
        try:
            await _walk(demo, referral_id, entry)
        except DomainError as exc:
            log.warning(
                "a demo referral stays where it got to",
                extra={"reference": entry["reference"], "reason": type(exc).__name__},
            )
    return made


async def _submit(demo: Demo, entry: dict[str, Any]) -> uuid.UUID:
    huisarts = demo.people["huisarts"]
    body: dict[str, Any] = {
        key: entry[key]
        for key in ("place_type", "urgency", "region_code", "patient", "needs", "notes")
    }
    body["reference"] = entry["reference"]
    now = datetime.now(UTC)
    if "planned_in_days" in entry:
        body["planned_date"] = (now + timedelta(days=entry["planned_in_days"])).date()
    if "prefer" in entry:
        body["preferred_facility_ids"] = [entry["prefer"]]
    async with demo.step() as ctx:
        created = await referrals.submit(
            ctx.session, Trail(huisarts, "create", None), huisarts, ReferralIn(**body), now=now
        )
    return created.referral.id


async def _walk(demo: Demo, referral_id: uuid.UUID, entry: dict[str, Any]) -> None:
    """Take the entry's steps, each as the demo user whose step it is."""
    huisarts, triagist = demo.people["huisarts"], demo.people["triagist"]
    reservation_id: uuid.UUID | None = None
    for step in entry["steps"]:
        async with demo.step() as ctx:
            session = ctx.session
            if step == "claim":
                await referrals.claim(session, triagist, referral_id)
            elif step == "reserve":
                reservation_id = await _reserve_the_best(ctx, triagist, referral_id)
            elif step == "release" and reservation_id is not None:
                await release.release(
                    session,
                    Trail(triagist, "release", None),
                    triagist,
                    demo.capacity,
                    reservation_id,
                    entry.get("release_reason"),
                )
            elif step == "accept" and reservation_id is not None:
                provider = await _provider_of(ctx, reservation_id)
                await answers.accept(
                    session,
                    Trail(provider, "accept", None),
                    provider,
                    demo.capacity,
                    reservation_id,
                )
            elif step == "handover":
                await referrals.handover(session, huisarts, referral_id)
            elif step == "advise":
                await referrals.advise(session, triagist, referral_id, entry["advice"])
            elif step == "cancel":
                cancel = entry["cancel"]
                await referrals.cancel(
                    session,
                    huisarts,
                    demo.capacity,
                    referral_id,
                    cancel["reason"],
                    cancel.get("reason_code"),
                )


async def _reserve_the_best(
    ctx: Context, triagist: Principal, referral_id: uuid.UUID
) -> uuid.UUID | None:
    """Reserve the best eligible place with a fresh report, as a triagist would."""
    ranking, _ = await matching.find(ctx, triagist, matching.MatchQuery(referral_id=referral_id))
    best = next((m for m in ranking.matches if m.verdict.eligible and not m.candidate.stale), None)
    if best is None:
        log.warning("no place for a demo referral now", extra={"referral_id": str(referral_id)})
        return None
    held = await reserving.hold_place(
        ctx,
        triagist,
        referral_id,
        ReservationIn(facility_id=uuid.UUID(best.candidate.facility_id)),
        uuid.uuid4(),
    )
    reservation, _ = await reserving.record(ctx.session, triagist, ctx.capacity, held)
    return reservation.id


async def _provider_of(ctx: Context, reservation_id: uuid.UUID) -> Principal:
    """The demo provider when the place is Zorgbalans'; otherwise someone of the provider
    that holds it."""
    reservation = await reservations.get(ctx.session, reservation_id)
    assert reservation is not None
    aanbieder = people()["aanbieder"]
    if aanbieder.org == reservation.facility_organisation_id:
        return aanbieder
    return Principal(
        sub="demo-loader",
        name=f"Opname {reservation.facility_name}",
        org=reservation.facility_organisation_id,
        roles=frozenset({"provider"}),
    )


async def load_on_startup(app: FastAPI) -> None:
    """Start-up hook: load the demo referrals, reaching capacity in this same process when
    it runs here (the server does not listen yet), else over HTTP."""
    settings: Settings = app.state.settings
    in_process = any(c.name == "capacity" for c in app.state.components)
    if in_process:
        transport = httpx.ASGITransport(app=app)
        http = httpx.AsyncClient(transport=transport, base_url="http://zorgplek.internal")
        capacity = CapacityClient(settings, http=http)
    else:
        capacity = app.state.triage_capacity
    try:
        made = await load(Demo(app.state.database.sessions, capacity, settings, people()))
    finally:
        if in_process:
            await capacity.close()
    log.info("demo referrals loaded", extra={"made": made})
