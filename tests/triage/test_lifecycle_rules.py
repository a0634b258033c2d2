"""The referral life cycle, rule by rule: every pair of statuses is one named row, legal or
not. Legal steps are taken on a rolled-back session (the timeline entry and the event are
real rows); illegal ones are refused with 409 before anything is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals import lifecycle
from services.triage.referrals.lifecycle import SYSTEM, IllegalTransition
from services.triage.referrals.models import Referral, ReferralEvent
from shared.outbox import OutboxEvent

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)

# Every step the life cycle allows, and why it exists. Written out here on purpose, apart
# from `lifecycle.TRANSITIONS`, so that a change to the table fails a named row.
LEGAL = {
    ("submitted", "in_triage"): "a triagist claims it",
    ("submitted", "reserved"): "the referrer books an ELV place directly",
    ("submitted", "cancelled"): "the referrer withdraws it",
    ("in_triage", "searching"): "the triagist starts looking for a place",
    ("in_triage", "advised"): "no admission needed: the referrer keeps the case",
    ("in_triage", "cancelled"): "withdrawn during triage",
    ("searching", "reserved"): "a place is held",
    ("searching", "advised"): "advice after searching",
    ("searching", "cancelled"): "withdrawn while searching",
    ("reserved", "placed"): "the provider accepts",
    ("reserved", "searching"): "the provider declines, the hold expires or it is released",
    ("reserved", "cancelled"): "withdrawn while a place is held",
    ("placed", "handed_over"): "the patient is handed over",
    ("placed", "cancelled"): "the patient died or was admitted elsewhere",
}
STATUSES = list(lifecycle.STATUSES)
ROWS = [
    pytest.param(
        current,
        wanted,
        (current, wanted) in LEGAL,
        id=f"{current}->{wanted}: {LEGAL.get((current, wanted), 'refused')}",
    )
    for current in STATUSES
    for wanted in STATUSES
]


def test_the_table_knows_every_status() -> None:
    assert set(lifecycle.TRANSITIONS) == set(STATUSES)
    assert lifecycle.CLOSED == frozenset({"handed_over", "advised", "cancelled"})


@pytest.mark.parametrize(("current", "wanted", "legal"), ROWS)
def test_may_become(current: str, wanted: str, legal: bool) -> None:
    assert lifecycle.may_become(current, wanted) is legal


def a_referral(status: str) -> Referral:
    return Referral(
        id=uuid.uuid4(),
        status=status,
        place_type="ELV_HOOG",
        urgency="urgent",
        patient_birth_year=1941,
        patient_sex="female",
        patient_postcode="2011",
        needs=[],
        region_code="ZK-KENNEMERLAND",
        preferred_facility_ids=[],
        organisation_id=uuid.uuid4(),
        created_by="gp-1",
        created_by_name="Huisarts",
        created_at=NOW - timedelta(hours=1),
        due_at=NOW + timedelta(hours=7),
        updated_at=NOW - timedelta(hours=1),
    )


@pytest.mark.parametrize(("current", "wanted", "legal"), ROWS)
async def test_transition(
    rolled_back: AsyncSession, current: str, wanted: str, legal: bool
) -> None:
    referral = a_referral(current)
    rolled_back.add(referral)
    await rolled_back.flush()
    if not legal:
        with pytest.raises(IllegalTransition) as refused:
            await lifecycle.transition(
                rolled_back, referral, wanted, actor=SYSTEM, action="test", at=NOW
            )
        assert refused.value.status == 409
        assert refused.value.extra == {"referral_status": current, "wanted_status": wanted}
        assert referral.status == current
        assert (await timeline_of(rolled_back, referral)) == []
        return
    await lifecycle.transition(rolled_back, referral, wanted, actor=SYSTEM, action="test", at=NOW)
    assert referral.status == wanted
    assert referral.updated_at == NOW
    assert referral.placed_at == (NOW if wanted == "placed" else None)
    assert referral.closed_at == (NOW if wanted in lifecycle.CLOSED else None)
    assert await timeline_of(rolled_back, referral) == [(current, wanted, "system:triage")]
    published = (
        await rolled_back.execute(
            select(OutboxEvent.type, OutboxEvent.data).where(
                OutboxEvent.data["referral_id"].astext == str(referral.id)
            )
        )
    ).all()
    assert [(t, d["from_status"], d["status"]) for t, d in published] == [
        ("referral.status_changed", current, wanted)
    ]


async def timeline_of(session: AsyncSession, referral: Referral) -> list[tuple[str, str, str]]:
    rows = await session.execute(
        select(ReferralEvent.from_status, ReferralEvent.to_status, ReferralEvent.actor).where(
            ReferralEvent.referral_id == referral.id
        )
    )
    return [(str(f), str(t), a) for f, t, a in rows.all()]


@pytest.mark.parametrize(
    ("current", "path", "allowed"),
    [
        pytest.param("in_triage", ["searching", "reserved"], True, id="claimed: search, reserve"),
        pytest.param("submitted", ["reserved"], True, id="direct booking"),
        pytest.param("reserved", ["placed"], True, id="accept"),
        pytest.param("placed", ["searching"], False, id="a placed referral is not declined"),
        pytest.param("advised", ["cancelled"], False, id="a closed referral stays closed"),
        pytest.param("submitted", ["searching"], False, id="searching needs a claim first"),
    ],
)
def test_ensure_path(current: str, path: list[str], allowed: bool) -> None:
    if allowed:
        lifecycle.ensure_path(current, path)
        return
    with pytest.raises(IllegalTransition) as refused:
        lifecycle.ensure_path(current, path)
    assert refused.value.extra == {"referral_status": current, "wanted_status": path[-1]}
