"""The matching rules one named row at a time: each hard filter alone, then each score
component alone. The ranking is pure, so no database and no HTTP."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.triage.matching.ranking import Candidate, rank, score
from services.triage.matching.record import record_score
from shared.contracts.capacity import TrackRecord
from tests.triage.test_ranking import EVENING, MORNING, TTL, place, request

EXCLUDED_NONE = {
    "place_type": 0,
    "features": 0,
    "declined": 0,
    "admission_hours": 0,
    "single_sex": 0,
    "scope": 0,
}
OFFICE = place("A", 3, hours="office")
AMSTERDAM = place("A", 3, region="ZK-AMSTERDAM")  # same ROAZ region as Kennemerland
UTRECHT = place("A", 3, region="ZK-UTRECHT")  # another ROAZ region
MEN_ONLY = place("A", 3, features=frozenset({"dementia", "male_only"}))
WIDE = {"scope": "supraregional"}


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def asked(**changes: Any) -> dict[str, Any]:
    """The request of one row: nothing preferred or declined unless the row says so."""
    return {"preferred": frozenset(), "declined": frozenset(), **changes}


# (row, candidate, request, moment, the rule that leaves it out — None: it is proposed)
FILTERS = [
    ("a plain place is proposed", place("A", 3), asked(), EVENING, None),
    ("another place type", replace(place("A", 3), place_type="ELV_HOOG"), asked(), EVENING,
     "place_type"),
    ("no free place", place("A", 3, free=0), asked(), EVENING, "place_type"),
    ("a needed feature missing", place("A", 3, features=frozenset()), asked(), EVENING,
     "features"),
    ("every needed feature present", place("A", 3), asked(needs=frozenset({"dementia"})),
     EVENING, None),
    ("declined this referral before", place("A", 3), asked(declined=frozenset({"id-A"})),
     EVENING, "declined"),
    ("office hours, due in 2 h, evening", OFFICE, asked(due_at=EVENING + hours(2)), EVENING,
     "admission_hours"),
    ("office hours, due in 8 h, evening", OFFICE, asked(due_at=EVENING + hours(8)), EVENING,
     "admission_hours"),
    ("office hours, due in 24 h, evening", OFFICE, asked(due_at=EVENING + hours(24)), EVENING,
     None),
    ("office hours, due at opening", OFFICE, asked(due_at=EVENING + hours(12)), EVENING, None),
    ("office hours, due in 2 h, morning", place("A", 3, hours="office", now=MORNING),
     asked(due_at=MORNING + hours(2)), MORNING, None),
    ("men only, a woman", MEN_ONLY, asked(sex="female"), EVENING, "single_sex"),
    ("men only, a man", MEN_ONLY, asked(sex="male"), EVENING, None),
    ("men only, sex unknown", MEN_ONLY, asked(sex="unknown"), EVENING, None),
    ("same ROAZ region, regional search", AMSTERDAM, asked(), EVENING, "scope"),
    ("same ROAZ region, supraregional", AMSTERDAM, asked(**WIDE), EVENING, None),
    ("another ROAZ region, regional search", UTRECHT, asked(), EVENING, "scope"),
    ("another ROAZ region, supraregional", UTRECHT, asked(**WIDE), EVENING, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("candidate", "changes", "now", "rule"),
    [pytest.param(c, ch, n, r, id=name) for name, c, ch, n, r in FILTERS],
)
def test_hard_filter(
    candidate: Candidate, changes: dict[str, Any], now: datetime, rule: str | None
) -> None:
    ranking = rank([candidate], request(**changes), now, TTL)
    assert ranking.considered == 1
    if rule is None:
        assert [m.candidate.name for m in ranking.matches] == ["A"]
        assert ranking.excluded == EXCLUDED_NONE
    else:
        assert ranking.matches == []
        assert ranking.excluded == {**EXCLUDED_NONE, rule: 1}


# (row, candidate, request, the component, its points)
COMPONENTS = [
    ("distance: at the starting point", place("A", 0), asked(), "distance", 40.0),
    ("distance: half a point per km", place("A", 10), asked(), "distance", 35.0),
    ("distance: none beyond 80 km", place("A", 100), asked(), "distance", 0.0),
    ("distance: unknown without a starting point", place("A", 3), asked(origin=None),
     "distance", 0.0),
    ("region: own region", place("A", 3), asked(), "region", 20.0),
    ("region: same ROAZ region", AMSTERDAM, asked(**WIDE), "region", 10.0),
    ("region: elsewhere in the country", UTRECHT, asked(**WIDE), "region", 0.0),
    ("freshness: reported just now", place("A", 3, age_minutes=0), asked(), "freshness", 15.0),
    ("freshness: half its time-to-live old", place("A", 3, age_minutes=6 * 60), asked(),
     "freshness", 7.5),
    ("freshness: none when stale", place("A", 3, stale=True, age_minutes=13 * 60), asked(),
     "freshness", 0.0),
    ("preference: the client prefers it", place("A", 3), asked(preferred=frozenset({"id-A"})),
     "preference", 15.0),
    ("preference: not preferred", place("A", 3), asked(), "preference", 0.0),
    ("capacity: one free place", place("A", 3, free=1), asked(), "capacity", 2.0),
    ("capacity: five free places", place("A", 3, free=5), asked(), "capacity", 10.0),
    ("capacity: no more than ten points", place("A", 3, free=9), asked(), "capacity", 10.0),
]  # fmt: skip


@pytest.mark.parametrize(
    ("candidate", "changes", "component", "points"),
    [pytest.param(c, ch, comp, p, id=name) for name, c, ch, comp, p in COMPONENTS],
)
def test_score_component(
    candidate: Candidate, changes: dict[str, Any], component: str, points: float
) -> None:
    (match,) = rank([candidate], request(**changes), EVENING, TTL).matches
    assert match.components[component] == pytest.approx(points, abs=0.1)
    assert match.score == pytest.approx(sum(match.components.values()), abs=0.2)


@pytest.mark.parametrize(
    ("places", "order"),
    [
        pytest.param(
            [place("Ver", 100, age_minutes=0), place("Minder ver", 90, age_minutes=0)],
            ["Minder ver", "Ver"],
            id="equal scores: the nearest first",
        ),
        pytest.param(
            [place("Bb", 10, age_minutes=0), place("Aa", 10, age_minutes=0)],
            ["Aa", "Bb"],
            id="equal scores and distance: by name",
        ),
        pytest.param(
            [place("Dichtbij", 1), place("Voorkeur", 20)],
            ["Voorkeur", "Dichtbij"],
            id="the higher score first, whatever the distance",
        ),
    ],
)
def test_order(places: list[Candidate], order: list[str]) -> None:
    ranking = rank(places, request(declined=frozenset()), EVENING, TTL)
    assert [m.candidate.name for m in ranking.matches] == order


def track(
    accepted: int = 0,
    no_capacity: int = 0,
    other: int = 0,
    expired: int = 0,
    fresh: float | None = 0.5,
) -> TrackRecord:
    """A location's track record with these counts and fresh-time share."""
    return TrackRecord(
        facility_id=uuid.uuid4(),
        facility_name="A",
        organisation_id=uuid.uuid4(),
        region_code="ZK-KENNEMERLAND",
        days=30,
        accepted=accepted,
        declined_no_capacity=no_capacity,
        declined_other=other,
        expired=expired,
        fresh_share=fresh,
        last_report_at=None,
        overdue_now=False,
        overdue_place_types=[],
    )


# (row, the location's track record, its points, its reasons in Dutch)
RECORDS = [
    ("no record: neutral", None, 0.0, []),
    ("nothing reserved, fresh half the time: neutral", track(), 0.0, []),
    ("no window yet: neutral", track(fresh=None), 0.0, []),
    ("9 of 10 accepted, always fresh", track(accepted=9, other=1, fresh=1.0), 9.0,
     ["9 van 10 reserveringen geaccepteerd"]),
    ("reported free but not, twice", track(accepted=1, no_capacity=2, expired=1), -2.0,
     ["1 van 4 reserveringen geaccepteerd", "2× toch geen plek"]),
    ("one reservation accepted counts a fifth", track(accepted=1), 1.0,
     ["1 van 1 reservering geaccepteerd"]),
    ("fresh a tenth of the time", track(fresh=0.1), -4.0, ["vaak verouderd"]),
    ("never accepted and never fresh", track(no_capacity=3, expired=3, fresh=0.0), -10.0,
     ["0 van 6 reserveringen geaccepteerd", "3× toch geen plek", "vaak verouderd"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("record", "points", "reasons"),
    [pytest.param(r, p, why, id=name) for name, r, p, why in RECORDS],
)
def test_track_record_component(
    record: TrackRecord | None, points: float, reasons: list[str]
) -> None:
    score = record_score(record)
    assert score.points == pytest.approx(points, abs=0.05)
    assert score.reasons == reasons
    records = {"id-A": record} if record is not None else {}
    (match,) = rank([place("A", 3)], request(), EVENING, TTL, records=records).matches
    assert match.components["record"] == pytest.approx(points, abs=0.05)
    assert match.score == pytest.approx(sum(match.components.values()), abs=0.2)
    shown = [reason for reason in match.reasons if reason in reasons]
    assert shown == reasons


def test_the_record_changes_the_order_and_its_absence_does_not() -> None:
    places = [place("Aa", 10, age_minutes=0), place("Bb", 10, age_minutes=0)]
    plain = rank(places, request(declined=frozenset()), EVENING, TTL)
    assert [m.candidate.name for m in plain.matches] == ["Aa", "Bb"]
    assert {m.components["record"] for m in plain.matches} == {0.0}
    records = {
        "id-Aa": track(accepted=1, no_capacity=4, fresh=0.3),
        "id-Bb": track(accepted=5, fresh=0.9),
    }
    ranked = rank(places, request(declined=frozenset()), EVENING, TTL, records=records)
    assert [m.candidate.name for m in ranked.matches] == ["Bb", "Aa"]
    only_one = rank(
        places, request(declined=frozenset()), EVENING, TTL, records={"id-Aa": records["id-Aa"]}
    )
    # Bb has no history: neutral, so it passes Aa's poor record but is not lifted itself.
    assert [m.candidate.name for m in only_one.matches] == ["Bb", "Aa"]
    assert only_one.matches[0].components["record"] == 0.0


def test_judged_once_the_best_picked_with_and_without_records() -> None:
    """Matching judges the candidates once, takes a shortlist of the best without track
    records, then the best with the shortlist's records: the very ranking of judging them
    all again with those records, also when a poor record lets a place from beyond the
    shortlist in."""
    places = [place("Aa", 10, age_minutes=0), place("Bb", 12, age_minutes=0), place("Cc", 14)]
    asked_for = request(declined=frozenset())
    scored = score(places, asked_for, EVENING, TTL)
    assert [c.name for c in scored.leading(2)] == ["Aa", "Bb"]
    assert scored.best(3) == rank(places, asked_for, EVENING, TTL, limit=3)
    poor = {"id-Aa": track(no_capacity=3, expired=3, fresh=0.0)}
    best_two = scored.best(2, poor)
    assert [m.candidate.name for m in best_two.matches] == ["Bb", "Cc"]
    assert best_two == rank(places, asked_for, EVENING, TTL, limit=2, records=poor)
    assert scored.best(3, poor).matches[2].components["record"] == -10.0
