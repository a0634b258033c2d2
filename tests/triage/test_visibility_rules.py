"""Who sees which referral and which reservation, at the query level: one named row per
kind of caller, against every query that reads referrals (by id, the lists, the queue),
on a rolled-back session. The HTTP side of the same rule is in test_visibility.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.queue import repository as queue
from services.triage.referrals import access
from services.triage.referrals import repository as referrals
from services.triage.referrals.models import OPEN_STATUSES, Referral, Reservation
from services.triage.reservations import repository as reservations
from shared.auth import Principal

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
PRACTICE, OTHER_PRACTICE = uuid.uuid4(), uuid.uuid4()
HOLDER, DECLINER, ADMITTER, STRANGER = (uuid.uuid4() for _ in range(4))


@dataclass(frozen=True)
class World:
    """Two referrals of one practice in Kennemerland.

    `searching`: the decliner said no; the holder holds a place for it now.
    `placed`: the admitter accepted it."""

    ids: dict[str, uuid.UUID]


def referral(name: str, status: str) -> Referral:
    return Referral(
        id=uuid.uuid4(),
        status=status,
        place_type="GRZ",
        urgency="urgent",
        patient_birth_year=1941,
        patient_sex="female",
        patient_postcode="2011",
        needs=[],
        region_code="ZK-KENNEMERLAND",
        preferred_facility_ids=[],
        notes=name,
        organisation_id=PRACTICE,
        created_by="gp-1",
        created_by_name="Huisarts",
        created_at=NOW,
        due_at=NOW + timedelta(hours=8),
        updated_at=NOW,
    )


def reservation(of: Referral, provider: uuid.UUID, status: str, minutes: int) -> Reservation:
    return Reservation(
        id=uuid.uuid4(),
        referral_id=of.id,
        hold_id=uuid.uuid4(),
        facility_id=uuid.uuid4(),
        facility_name="Locatie",
        facility_organisation_id=provider,
        facility_region_code="ZK-KENNEMERLAND",
        own_region=True,
        place_type="GRZ",
        status=status,
        created_by="triagist-1",
        created_by_name="Triagist",
        created_at=NOW + timedelta(minutes=minutes),
        expires_at=NOW + timedelta(minutes=minutes + 30),
    )


@pytest.fixture
async def world(rolled_back: AsyncSession) -> World:
    reserved = referral("reserved", "reserved")
    placed = referral("placed", "placed")
    rolled_back.add_all([reserved, placed])
    await rolled_back.flush()
    declined = reservation(reserved, DECLINER, "declined", 1)
    held = reservation(reserved, HOLDER, "held", 2)
    accepted = reservation(placed, ADMITTER, "accepted", 3)
    rolled_back.add_all([declined, held, accepted])
    await rolled_back.flush()
    return World(
        {
            "reserved": reserved.id,
            "placed": placed.id,
            "declined": declined.id,
            "held": held.id,
            "accepted": accepted.id,
        }
    )


def person(*roles: str, org: uuid.UUID | None = None, regions: tuple[str, ...] = ()) -> Principal:
    return Principal(sub="x", name="X", org=org, roles=frozenset(roles), regions=regions)


REFERRALS = frozenset({"reserved", "placed"})
RESERVATIONS = frozenset({"declined", "held", "accepted"})
# (caller, referrals it sees, reservations it sees)
MATRIX = [
    ("referrer of the practice", person("referrer", org=PRACTICE), REFERRALS, RESERVATIONS),
    ("referrer of another practice", person("referrer", org=OTHER_PRACTICE), set(), set()),
    (
        "triagist of the region",
        person("triagist", regions=("ZK-KENNEMERLAND",)),
        REFERRALS,
        RESERVATIONS,
    ),
    (
        "triagist of the ROAZ region above it",
        person("triagist", regions=("ROAZ-NHF",)),
        REFERRALS,
        RESERVATIONS,
    ),
    ("triagist of another region", person("triagist", regions=("ZK-UTRECHT",)), set(), set()),
    ("provider holding a place", person("provider", org=HOLDER), {"reserved"}, {"held"}),
    ("provider that declined", person("provider", org=DECLINER), set(), {"declined"}),
    ("provider that accepted", person("provider", org=ADMITTER), {"placed"}, {"accepted"}),
    ("provider without a reservation", person("provider", org=STRANGER), set(), set()),
    (
        "referrer without the referrer role",
        person("provider", org=PRACTICE),
        set(),
        set(),
    ),
    ("admin", person("admin"), set(), set()),
    ("viewer of the region", person("viewer", regions=("ZK-KENNEMERLAND",)), set(), set()),
    ("service", person("service"), set(), set()),
]


@pytest.mark.parametrize(
    ("caller", "sees_referrals", "sees_reservations"),
    [pytest.param(p, r, s, id=name) for name, p, r, s in MATRIX],
)
async def test_visibility(
    rolled_back: AsyncSession,
    world: World,
    caller: Principal,
    sees_referrals: set[str],
    sees_reservations: set[str],
) -> None:
    scope = access.visibility(caller)
    name_of = {v: k for k, v in world.ids.items()}

    by_id = {n for n in REFERRALS if await referrals.is_visible(rolled_back, world.ids[n], scope)}
    assert by_id == set(sees_referrals)
    listed = await referrals.list_page(rolled_back, scope, statuses=(), after=None, limit=1000)
    assert {name_of[r.id] for r in listed if r.id in name_of} == set(sees_referrals)

    by_id = {
        n for n in RESERVATIONS if await reservations.is_visible(rolled_back, world.ids[n], scope)
    }
    assert by_id == set(sees_reservations)
    rows = await reservations.list_page(
        rolled_back, scope, referral_id=None, statuses=(), after=None, limit=1000
    )
    assert {name_of[r.id] for r, _ in rows if r.id in name_of} == set(sees_reservations)


@pytest.mark.parametrize(
    ("caller", "in_queue"),
    [
        pytest.param(person("triagist", regions=("ZK-KENNEMERLAND",)), True, id="own region"),
        pytest.param(person("triagist", regions=("ROAZ-NHF",)), True, id="ROAZ region above"),
        pytest.param(person("triagist", regions=("ZK-UTRECHT",)), False, id="other region"),
        pytest.param(person("referrer", org=PRACTICE), False, id="not a triagist"),
    ],
)
async def test_the_queue_reads_by_the_same_rule(
    rolled_back: AsyncSession, world: World, caller: Principal, in_queue: bool
) -> None:
    rows = await queue.open_referrals(
        rolled_back,
        access.triagist_regions(caller),
        statuses=OPEN_STATUSES,
        urgencies=(),
        after=None,
        limit=1000,
    )
    assert (world.ids["reserved"] in {r.id for r in rows}) is in_queue
