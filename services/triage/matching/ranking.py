"""Ranking candidate places for a referral: a pure function of the candidates, the referral
and the time, so it can be tested on a hand-made map and benchmarked without HTTP.

Hard filters first — place type, every needed feature, places that declined this referral,
the care rules (`shared.care_rules`: admission hours against the referral's due time,
single-sex rooms), the search scope — then a score out of 100 with named components a
triagist can check:

    distance    40  minus half a point per km from the starting point
    region      20  own region; 10 for another region of the same ROAZ region
    freshness   15  falls to 0 as the report ages towards its time-to-live
    preference  15  the client prefers this facility
    capacity    10  two points per free place, up to five
    record     ±10  the location's track record (`matching.record`); none: 0

Stale places are left out, unless nothing fresh is left: then the stale ones are shown,
flagged. Places the care rules refuse are left out, unless asked for: then they come last,
marked with the reasons. With `supraregional` scope the same ROAZ region comes first, then
the country."""

from __future__ import annotations

import heapq
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.triage.matching.record import NEUTRAL, record_score
from shared import reference
from shared.care_rules import ELIGIBLE, Screen, Verdict, when
from shared.contracts.capacity import (
    CandidatePlace,
    FacilitySummary,
    ReportSource,
    TrackRecord,
    source_words,
)
from shared.geo import distance_from

DISTANCE_POINTS, DISTANCE_PENALTY_PER_KM = 40.0, 0.5
OWN_REGION_POINTS, SAME_ROAZ_POINTS = 20.0, 10.0
FRESHNESS_POINTS = 15.0
PREFERENCE_POINTS = 15.0
CAPACITY_POINTS, CAPACITY_FULL_AT = 10.0, 5


@dataclass(slots=True)
class Candidate:
    """One place type at one facility with free places, as the capacity service reports it."""

    facility_id: str
    name: str
    region_code: str
    lat: float
    lon: float
    admission_hours: str
    features: Collection[str]
    place_type: str
    free: int
    observed_at: datetime
    stale: bool
    facility: FacilitySummary = field(compare=False)
    source: ReportSource | None = None  # how the numbers came in; None: not known
    observed_ts: float = field(default=-1.0, compare=False)

    def __post_init__(self) -> None:
        if self.observed_ts < 0:
            self.observed_ts = self.observed_at.timestamp()

    @classmethod
    def from_place(cls, item: CandidatePlace) -> Candidate:
        """From one item of `GET /api/v1/availability/candidates`."""
        facility = item.facility
        return cls(
            facility_id=str(facility.id),
            name=facility.name,
            region_code=facility.region_code,
            lat=facility.lat,
            lon=facility.lon,
            admission_hours=facility.admission_hours,
            features=facility.features,
            place_type=item.place_type,
            free=item.free,
            observed_at=item.observed_at,
            stale=item.stale,
            facility=facility,
            source=item.source,
        )


@dataclass(frozen=True, slots=True)
class MatchRequest:
    """What the referral asks for."""

    place_type: str
    needs: frozenset[str]
    region_code: str
    origin: tuple[float, float] | None
    preferred: frozenset[str] = frozenset()
    declined: frozenset[str] = frozenset()
    scope: str = "region"
    # For the care rules: the patient's sex and when the place is needed.
    sex: str | None = None
    due_at: datetime | None = None
    include_ineligible: bool = False  # list the places the care rules refuse, last


@dataclass(frozen=True, slots=True)
class Match:
    """One proposed place with its score, the score's components and the reasons."""

    candidate: Candidate
    score: float
    components: dict[str, float]
    distance_km: float | None
    tier: int  # 0: the referral's region (or its ROAZ region when escalated); 1: elsewhere
    reasons: list[str]
    verdict: Verdict = ELIGIBLE  # what the care rules say of this place for this patient


@dataclass(slots=True)
class Ranking:
    """The proposed places, best first, and what was left out."""

    matches: list[Match]
    stale_fallback: bool  # nothing fresh was left, so stale places are shown, flagged
    considered: int
    excluded: dict[str, int]  # how many were filtered out, by rule


def format_km(km: float) -> str:
    """Dutch notation: "3,2 km"."""
    return f"{km:.1f} km".replace(".", ",")


def format_age(seconds: float, source: str | None = None) -> str:
    """How old a report is and how it came in, in Dutch: "via koppeling, 12 min geleden",
    "handmatig, 3 uur geleden"; "gemeld 12 min geleden" when the source is not known."""
    minutes = int(seconds // 60)
    if minutes < 1:
        age = "zojuist"
    elif minutes < 60:
        age = f"{minutes} min geleden"
    elif minutes // 60 < 48:
        age = f"{minutes // 60} uur geleden"
    else:
        age = f"{minutes // 1440} dagen geleden"
    words = source_words(source)
    return f"{words}, {age}" if words else f"gemeld {age}"


def _region_name(code: str) -> str:
    region = reference.regions().get(code)
    return region.name if region else code


def _roaz_area(code: str) -> frozenset[str]:
    """Every region of the ROAZ region(s) `code` belongs to."""
    area: set[str] = set()
    for roaz in reference.roaz_of(code):
        area |= reference.covered_regions(roaz)
    return frozenset(area)


# A judged place, sorting as a tuple: tier, then best score, then nearest, then name and id.
Entry = tuple[int, float, float, str, str, int, Candidate, float | None, float, float, Verdict]


@dataclass(slots=True)
class Scored:
    """Every candidate judged once for a request — the hard filters, the care rules and the
    score without the track record — so that the best places can be picked more than once
    (a shortlist, then with the shortlist's track records) without judging them again."""

    request: MatchRequest
    now: datetime
    own: frozenset[str]
    area: frozenset[str]
    ttl: float
    fresh: list[Entry]
    stale: list[Entry]
    refused: list[Entry]  # what the care rules refuse, only when asked to list them
    considered: int
    excluded: dict[str, int]  # how many were filtered out, by rule

    def leading(self, limit: int) -> list[Candidate]:
        """The best `limit` places without their track records, unexplained: whose records
        are worth looking up."""
        best, _ = self._best(limit, {})
        return [entry[6] for entry in best]

    def best(self, limit: int, records: Mapping[str, TrackRecord] | None = None) -> Ranking:
        """The best `limit` places, best first, each with its score, the score's components
        and the reasons in Dutch. `records`: the track records of the locations by facility
        id; a location without one is neutral."""
        records = records or {}
        best, fallback = self._best(limit, records)
        return Ranking(
            matches=[self._explain(entry, records) for entry in best],
            stale_fallback=fallback,
            considered=self.considered,
            excluded=dict(self.excluded),
        )

    def _explain(self, entry: Entry, records: Mapping[str, TrackRecord]) -> Match:
        """The score's components and the reasons, for the places that are shown."""
        tier, _, _, _, _, _, c, km, age, score, verdict = entry
        request, own, area, ttl, now = self.request, self.own, self.area, self.ttl, self.now
        record = record_score(records.get(c.facility_id)) if records else NEUTRAL
        components = {
            "distance": round(max(DISTANCE_POINTS - DISTANCE_PENALTY_PER_KM * km, 0.0), 1)
            if km is not None
            else 0.0,
            "region": OWN_REGION_POINTS
            if c.region_code in own
            else SAME_ROAZ_POINTS
            if c.region_code in area
            else 0.0,
            "freshness": round(FRESHNESS_POINTS * max(1.0 - age / ttl, 0.0), 1)
            if not c.stale and ttl > 0
            else 0.0,
            "preference": PREFERENCE_POINTS if c.facility_id in request.preferred else 0.0,
            "capacity": round(
                CAPACITY_POINTS * min(c.free, CAPACITY_FULL_AT) / CAPACITY_FULL_AT, 1
            ),
            "record": record.points,
        }
        reasons = [format_km(km) if km is not None else "afstand onbekend"]
        if c.region_code in own:
            reasons.append("eigen regio")
        elif c.region_code in area:
            reasons.append(f"regio {_region_name(c.region_code)}, zelfde ROAZ-regio")
        else:
            reasons.append(f"regio {_region_name(c.region_code)}, buiten de ROAZ-regio")
        said = format_age(age, c.source)
        reasons.append(f"melding verouderd ({said})" if c.stale else said)
        reasons.append("1 plaats vrij" if c.free == 1 else f"{c.free} plaatsen vrij")
        if c.facility_id in request.preferred:
            reasons.append("voorkeur cliënt")
        if verdict.admits_from is not None:
            reasons.append(f"opname vanaf {when(verdict.admits_from, now)}")
        elif c.admission_hours == "office":
            reasons.append("opname alleen tijdens kantoortijden")
        reasons += record.reasons
        reasons += [finding.text for finding in verdict.warnings]
        return Match(
            candidate=c,
            score=round(score, 1),
            components=components,
            distance_km=round(km, 2) if km is not None else None,
            tier=tier,
            reasons=reasons,
            verdict=verdict,
        )

    def _best(self, limit: int, records: Mapping[str, TrackRecord]) -> tuple[list[Entry], bool]:
        pool, fallback = (self.fresh, False) if self.fresh else (self.stale, bool(self.stale))
        pool = _with_records(pool, records)
        best = heapq.nsmallest(limit, pool) if limit < len(pool) else sorted(pool)
        if len(best) < limit:
            best += heapq.nsmallest(limit - len(best), _with_records(self.refused, records))
        return best, fallback


def _with_records(entries: list[Entry], records: Mapping[str, TrackRecord]) -> list[Entry]:
    """The entries with the track record's points added to the score of each location that
    has one (a location without one is neutral)."""
    if not records:
        return entries
    scored = []
    for entry in entries:
        record = records.get(entry[4])
        if record is not None:
            tier, _, far, name, facility_id, n, c, km, age, score, verdict = entry
            score += record_score(record).points
            entry = (tier, -score, far, name, facility_id, n, c, km, age, score, verdict)
        scored.append(entry)
    return scored


def score(
    candidates: Iterable[Candidate],
    request: MatchRequest,
    now: datetime,
    ttl_seconds: Mapping[str, float],
) -> Scored:
    """Every candidate judged for `request` at `now`, once: left out by a hard filter (and
    counted by rule), or scored without its track record."""
    own = reference.covered_regions(request.region_code)
    area = _roaz_area(request.region_code) | own
    supraregional = request.scope == "supraregional"
    screen = Screen(now=now, sex=request.sex, due_at=request.due_at)
    needs = request.needs
    ttl = ttl_seconds.get(request.place_type, 0.0)
    origin = request.origin
    excluded = {
        "place_type": 0,
        "features": 0,
        "declined": 0,
        "admission_hours": 0,
        "single_sex": 0,
        "scope": 0,
    }
    fresh: list[Entry] = []
    stale: list[Entry] = []
    refused: list[Entry] = []
    place_type, declined, preferred = request.place_type, request.declined, request.preferred
    now_ts = now.timestamp()
    measure = distance_from(origin) if origin is not None else None
    considered = 0
    for c in candidates:
        considered += 1
        if c.place_type != place_type or c.free < 1:
            excluded["place_type"] += 1
            continue
        if needs and not needs.issubset(c.features):
            excluded["features"] += 1
            continue
        if c.facility_id in declined:
            excluded["declined"] += 1
            continue
        region = c.region_code
        if region in own:
            points, tier = OWN_REGION_POINTS, 0
        elif not supraregional:
            excluded["scope"] += 1
            continue
        elif region in area:
            points, tier = SAME_ROAZ_POINTS, 0
        else:
            points, tier = 0.0, 1
        verdict = screen.assess(c.admission_hours, c.features)
        if verdict.refusals:
            excluded[verdict.refusals[0].rule] += 1
            if not request.include_ineligible:
                continue
        km: float | None = None
        if measure is not None:
            km = measure(c.lat, c.lon)
            distance_points = DISTANCE_POINTS - DISTANCE_PENALTY_PER_KM * km
            if distance_points > 0:
                points += distance_points
        if c.facility_id in preferred:
            points += PREFERENCE_POINTS
        points += (
            CAPACITY_POINTS
            * (c.free if c.free < CAPACITY_FULL_AT else CAPACITY_FULL_AT)
            / (CAPACITY_FULL_AT)
        )
        age = now_ts - c.observed_ts
        if age < 0:
            age = 0.0
        if not c.stale and ttl > 0 and age < ttl:
            points += FRESHNESS_POINTS * (1.0 - age / ttl)
        entry = (
            tier,
            -points,
            km if km is not None else math.inf,
            c.name,
            c.facility_id,
            considered,  # never compare candidates themselves
            c,
            km,
            age,
            points,
            verdict,
        )
        (refused if verdict.refusals else stale if c.stale else fresh).append(entry)
    return Scored(request, now, own, area, ttl, fresh, stale, refused, considered, excluded)


def rank(
    candidates: Iterable[Candidate],
    request: MatchRequest,
    now: datetime,
    ttl_seconds: Mapping[str, float],
    *,
    limit: int = 50,
    records: Mapping[str, TrackRecord] | None = None,
) -> Ranking:
    """The best `limit` places for `request`, best first (`score`, then `Scored.best`)."""
    return score(candidates, request, now, ttl_seconds).best(limit, records)


def candidates_from(items: Sequence[CandidatePlace]) -> list[Candidate]:
    """Candidates from capacity's candidate places."""
    return [Candidate.from_place(item) for item in items]
