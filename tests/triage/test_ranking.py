"""The ranking on a small hand-made map: order, hard filters and the Dutch reasons."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.triage.matching.ranking import (
    Candidate,
    MatchRequest,
    Ranking,
    format_age,
    format_km,
    rank,
)
from shared.care_rules import AMSTERDAM
from shared.contracts.capacity import FacilitySummary
from shared.geo import EARTH_RADIUS_KM, distance_km

ORIGIN = (52.3810, 4.6370)  # Haarlem
TTL = {"GRZ": 12 * 3600.0}
# Thursday 1 October 2026, 20:00 in Amsterdam (CEST, UTC+2): outside office hours.
EVENING = datetime(2026, 10, 1, 18, 0, tzinfo=UTC)
MORNING = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)  # 10:00 in Amsterdam


def north_of(km: float) -> tuple[float, float]:
    """A point `km` due north of the origin."""
    return ORIGIN[0] + math.degrees(km / EARTH_RADIUS_KM), ORIGIN[1]


def place(
    name: str,
    km: float,
    *,
    region: str = "ZK-KENNEMERLAND",
    age_minutes: float = 12,
    free: int = 1,
    stale: bool = False,
    hours: str = "24/7",
    features: frozenset[str] = frozenset({"dementia"}),
    now: datetime = EVENING,
) -> Candidate:
    lat, lon = north_of(km)
    facility = FacilitySummary(
        id=uuid.uuid5(uuid.NAMESPACE_URL, name),
        name=name,
        organisation_id=uuid.uuid5(uuid.NAMESPACE_URL, f"organisation {name}"),
        organisation_name=f"Zorggroep {name}",
        city="Haarlem",
        region_code=region,
        lat=lat,
        lon=lon,
        admission_hours=hours,
        features=sorted(features),
    )
    return Candidate(
        facility_id=f"id-{name}",
        name=name,
        region_code=region,
        lat=lat,
        lon=lon,
        admission_hours=hours,
        features=features,
        place_type="GRZ",
        free=free,
        observed_at=now - timedelta(minutes=age_minutes),
        stale=stale,
        facility=facility,
    )


MAP = [
    place("Dichtbij", 3.2),
    place("Voorkeur", 8.0),
    place("Kantoor", 5.0, hours="office"),
    place("Ruim", 6.0, free=7),
    place("Verouderd", 1.0, stale=True, age_minutes=13 * 60),
    place("Zonder PG", 2.0, features=frozenset()),
    place("Amsterdam", 30.0, region="ZK-AMSTERDAM"),
    place("Utrecht dichtbij", 2.5, region="ZK-UTRECHT"),
    place("Afgewezen", 0.5),
]


def request(**overrides: object) -> MatchRequest:
    values: dict[str, object] = {
        "place_type": "GRZ",
        "needs": frozenset({"dementia"}),
        "region_code": "ZK-KENNEMERLAND",
        "origin": ORIGIN,
        "preferred": frozenset({"id-Voorkeur"}),
        "declined": frozenset({"id-Afgewezen"}),
        "scope": "region",
    }
    values.update(overrides)
    return MatchRequest(**values)  # type: ignore[arg-type]


def names(ranking: Ranking) -> list[str]:
    return [m.candidate.name for m in ranking.matches]


def test_order_and_reasons_in_the_own_region() -> None:
    ranking = rank(MAP, request(), EVENING, TTL)
    assert names(ranking) == ["Voorkeur", "Ruim", "Dichtbij", "Kantoor"]
    assert ranking.stale_fallback is False
    assert ranking.excluded == {
        "place_type": 0,
        "features": 1,
        "declined": 1,
        "admission_hours": 0,
        "single_sex": 0,
        "scope": 2,
    }
    best, _, near, office = ranking.matches
    assert best.reasons == [
        "8,0 km",
        "eigen regio",
        "gemeld 12 min geleden",
        "1 plaats vrij",
        "voorkeur cliënt",
    ]
    assert near.reasons == ["3,2 km", "eigen regio", "gemeld 12 min geleden", "1 plaats vrij"]
    assert near.distance_km == pytest.approx(3.2, abs=0.01)
    assert near.components == {
        "distance": 38.4,
        "region": 20.0,
        "freshness": 14.8,
        "preference": 0.0,
        "capacity": 2.0,
        "record": 0.0,
    }
    assert near.score == pytest.approx(75.1, abs=0.1)
    assert office.reasons[-1] == "opname vanaf morgen 08:00"
    assert office.verdict.admits_from == datetime(2026, 10, 2, 8, 0, tzinfo=AMSTERDAM)
    in_the_morning = rank(MAP, request(), MORNING, TTL)
    assert in_the_morning.matches[-1].reasons[-1] == "opname alleen tijdens kantoortijden"
    assert [m.score for m in ranking.matches] == sorted(
        (m.score for m in ranking.matches), reverse=True
    )


def test_office_hours_against_the_due_time() -> None:
    for hours in (2, 8):  # acute and urgent, asked for in the evening
        evening = rank(MAP, request(due_at=EVENING + timedelta(hours=hours)), EVENING, TTL)
        assert "Kantoor" not in names(evening)
        assert evening.excluded["admission_hours"] == 1
        morning = rank(MAP, request(due_at=MORNING + timedelta(hours=hours)), MORNING, TTL)
        assert "Kantoor" in names(morning)
    tomorrow = datetime(2026, 10, 2, 8, 0, tzinfo=AMSTERDAM)
    in_time = rank(MAP, request(due_at=tomorrow), EVENING, TTL)
    assert "Kantoor" in names(in_time)
    assert in_time.excluded["admission_hours"] == 0


def test_refused_places_come_last_when_asked_for() -> None:
    due = EVENING + timedelta(hours=2)
    ranking = rank(MAP, request(due_at=due, include_ineligible=True), EVENING, TTL)
    assert names(ranking) == ["Voorkeur", "Ruim", "Dichtbij", "Kantoor"]
    office = ranking.matches[-1]
    assert office.verdict.eligible is False
    assert office.verdict.detail == (
        "Deze locatie neemt op vanaf morgen 08:00; de aanmelding moet uiterlijk 22:00 "
        "geplaatst zijn."
    )
    assert ranking.excluded["admission_hours"] == 1
    assert all(m.verdict.eligible for m in ranking.matches[:-1])


def test_single_sex_rooms() -> None:
    rooms = [
        place("Mannen", 1.0, features=frozenset({"dementia", "male_only"})),
        place("Vrouwen", 2.0, features=frozenset({"dementia", "female_only"})),
        place("Gemengd", 3.0),
    ]
    woman = rank(rooms, request(sex="female"), EVENING, TTL)
    assert names(woman) == ["Vrouwen", "Gemengd"]
    assert woman.excluded["single_sex"] == 1
    man = rank(rooms, request(sex="male"), EVENING, TTL)
    assert names(man) == ["Mannen", "Gemengd"]
    unknown = rank(rooms, request(sex="unknown"), EVENING, TTL)
    assert names(unknown) == ["Mannen", "Vrouwen", "Gemengd"]
    assert unknown.matches[0].reasons[-1] == (
        "alleen mannen (mannenkamer): overleg eerst met de locatie"
    )
    assert unknown.matches[0].verdict.eligible is True


def test_stale_places_only_when_nothing_fresh_is_left() -> None:
    only_stale = [c for c in MAP if c.stale] + [place("Zonder plaats", 1, free=0)]
    ranking = rank(only_stale, request(needs=frozenset()), EVENING, TTL)
    assert names(ranking) == ["Verouderd"]
    assert ranking.stale_fallback is True
    (match,) = ranking.matches
    assert match.candidate.stale
    assert match.components["freshness"] == 0.0
    assert "melding verouderd (gemeld 13 uur geleden)" in match.reasons
    assert "Verouderd" not in names(rank(MAP, request(needs=frozenset()), EVENING, TTL))


def test_supraregional_roaz_first_then_the_country() -> None:
    ranking = rank(MAP, request(scope="supraregional"), EVENING, TTL)
    assert names(ranking) == [
        "Voorkeur",
        "Ruim",
        "Dichtbij",
        "Kantoor",
        "Amsterdam",
        "Utrecht dichtbij",
    ]
    amsterdam, utrecht = ranking.matches[-2:]
    assert amsterdam.reasons[1] == "regio Amsterdam, zelfde ROAZ-regio"
    assert amsterdam.components["region"] == 10.0
    assert utrecht.reasons[1] == "regio Utrecht, buiten de ROAZ-regio"
    assert utrecht.score > amsterdam.score  # closer, yet the ROAZ region comes first
    assert (amsterdam.tier, utrecht.tier) == (0, 1)


def test_without_a_starting_point_distance_is_unknown() -> None:
    ranking = rank(MAP, request(origin=None), EVENING, TTL)
    assert all(m.distance_km is None for m in ranking.matches)
    assert all(m.reasons[0] == "afstand onbekend" for m in ranking.matches)
    assert names(ranking)[:2] == ["Voorkeur", "Ruim"]


def test_limit_and_other_place_types() -> None:
    assert len(rank(MAP, request(), EVENING, TTL, limit=2).matches) == 2
    other = rank(MAP, request(place_type="ELV_HOOG"), EVENING, TTL)
    assert other.matches == []
    assert other.excluded["place_type"] == len(MAP)


def test_formats() -> None:
    assert format_km(3.24) == "3,2 km"
    assert format_km(12.0) == "12,0 km"
    assert format_age(30) == "gemeld zojuist"
    assert format_age(12 * 60 + 5) == "gemeld 12 min geleden"
    assert format_age(3 * 3600) == "gemeld 3 uur geleden"
    assert format_age(3 * 86400) == "gemeld 3 dagen geleden"
    assert distance_km(ORIGIN, north_of(10)) == pytest.approx(10, abs=1e-6)
