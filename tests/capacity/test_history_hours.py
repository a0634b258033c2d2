"""The regional history at whole hours (7, 14, 21, 28 days) is read from the hourly sums
that a trigger keeps on every insert of reports: the same numbers as from the reports
themselves, whichever write path inserted them (a single report, a batch), in whatever
order the reports arrive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.availability import repository
from shared import reference
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report, report_body

TTL = {"GRZ": timedelta(hours=12), "WLZ_CRISIS": timedelta(hours=4)}


@dataclass(frozen=True, slots=True)
class Made:
    facility: str
    region: str
    place_type: str
    observed_at: datetime
    available: int
    staffed: int


def expected(
    made: list[Made], place_type: str, regions: frozenset[str] | None, at: datetime
) -> tuple[int, int, int]:
    """(available, staffed, reporting) at `at`: per place the last report made at or before
    it (of two made at the same moment, the one sent last), if still fresh."""
    last: dict[str, Made] = {}
    for m in made:  # in the order sent
        if m.place_type != place_type or (regions is not None and m.region not in regions):
            continue
        if m.observed_at <= at and (
            m.facility not in last or m.observed_at >= last[m.facility].observed_at
        ):
            last[m.facility] = m
    fresh = [m for m in last.values() if at - m.observed_at <= TTL[place_type]]
    return (sum(m.available for m in fresh), sum(m.staffed for m in fresh), len(fresh))


async def _put(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    made: list[Made],
    facility: dict[str, Any],
    place_type: str,
    age: timedelta,
    available: int,
) -> None:
    body = report_body(staffed=available + 6, occupied=6, available=available, age=age)
    await report(client, auth, facility, place_type, **{k: v for k, v in body.items()})
    made.append(_made(facility, place_type, body))


def _made(facility: dict[str, Any], place_type: str, body: dict[str, Any]) -> Made:
    return Made(
        facility["id"],
        facility["region_code"],
        place_type,
        datetime.fromisoformat(body["observed_at"]),
        body["available"],
        body["staffed"],
    )


async def test_whole_hours_sum_the_fresh_last_reports_per_place_type_and_region(
    client: httpx.AsyncClient, auth: TokenFactory, rolled_back: AsyncSession
) -> None:
    organisation = await create_organisation(client, auth)
    types = ["GRZ", "WLZ_CRISIS"]
    here = await create_facility(client, auth, organisation["id"], place_types=types)
    next_door = await create_facility(client, auth, organisation["id"], place_types=types)
    elsewhere = await create_facility(
        client, auth, organisation["id"], place_types=types, region_code="ZK-AMSTERDAM"
    )
    made: list[Made] = []
    hours, days = timedelta(hours=1), timedelta(days=1)
    # Before the period (7 days): counts at its start while fresh (GRZ 12 h), then stale.
    await _put(client, auth, made, here, "GRZ", 7 * days + 3 * hours, 4)
    await _put(client, auth, made, here, "GRZ", 5 * days, 2)
    await _put(client, auth, made, here, "GRZ", 3 * days, 1)
    # Late: made before the last one, sent after it; it counts until the next one.
    await _put(client, auth, made, here, "GRZ", 4 * days, 3)
    # Stale after 4 hours (WLZ_CRISIS), then a gap, then fresh again.
    await _put(client, auth, made, here, "WLZ_CRISIS", 2 * days, 1)
    await _put(client, auth, made, here, "WLZ_CRISIS", 90 * timedelta(minutes=1), 2)
    # Made a minute from now (within the clock skew allowed): not yet counted now.
    await _put(client, auth, made, elsewhere, "WLZ_CRISIS", -timedelta(minutes=1), 4)
    await _put(client, auth, made, next_door, "GRZ", 3 * days + 30 * timedelta(minutes=1), 5)
    await _put(client, auth, made, elsewhere, "GRZ", 2 * days, 7)
    # A batch: two reports of one place at once, and one made at the same moment as
    # another (the one sent last counts).
    same_moment = report_body(staffed=9, occupied=6, available=3, age=26 * hours)
    rows = [
        ("GRZ", next_door, report_body(staffed=8, occupied=6, available=2, age=30 * hours)),
        ("GRZ", next_door, report_body(staffed=7, occupied=6, available=1, age=20 * hours)),
        ("GRZ", here, same_moment),
        ("GRZ", here, {**same_moment, "available": 0, "occupied": 9}),
        ("WLZ_CRISIS", elsewhere, report_body(staffed=8, occupied=6, available=2, age=hours)),
    ]
    response = await client.post(
        "/api/v1/capacity-reports",
        json={"reports": [{"facility_id": f["id"], "place_type": p, **b} for p, f, b in rows]},
        headers=auth("provider", org=organisation["id"]),
    )
    assert response.status_code == 200
    assert all("errors" not in r for r in response.json()["results"])
    made += [_made(f, p, b) for p, f, b in rows]

    for region in ("ZK-KENNEMERLAND", "ZK-AMSTERDAM", "ROAZ-NHF", None):
        params = {"days": 7, **({"region": region} if region else {})}
        answer = await client.get(
            "/api/v1/availability/history", params=params, headers=auth("viewer")
        )
        assert answer.status_code == 200
        body = answer.json()
        assert body["step_seconds"] == 7200
        since, until = (datetime.fromisoformat(body[k]) for k in ("since", "until"))
        assert datetime.now(UTC) - until < timedelta(seconds=30)
        assert since.minute == since.second == 0
        assert until - since >= 7 * days
        regions = reference.covered_regions(region) if region else None
        series = {s["place_type"]: s["points"] for s in body["items"]}
        assert set(series) == set(types)
        for place_type, points in series.items():
            assert len(points) == 85
            # Every 2 hours on the whole hour, and the last one now.
            assert points[-1]["at"] == body["until"]
            for k, point in enumerate(points):
                at = datetime.fromisoformat(point["at"])
                if k < 84:
                    assert at == since + k * 2 * hours
                got = (point["available"], point["staffed"], point["reporting"])
                assert got == expected(made, place_type, regions, at), (region, point)

    # The period's start and its gaps are really in it.
    country = {
        s["place_type"]: s["points"]
        for s in (
            await client.get(
                "/api/v1/availability/history", params={"days": 7}, headers=auth("viewer")
            )
        ).json()["items"]
    }
    assert country["GRZ"][0]["reporting"] == 1
    assert any(p["reporting"] == 0 for p in country["WLZ_CRISIS"])
    assert country["WLZ_CRISIS"][-1]["reporting"] == 2

    # And the hourly sums give what the reports give, every hour of the last 8 days and now.
    ttl = reference.ttl_seconds({})
    now = datetime.now(UTC)
    asked = await repository.moments(rolled_back, ttl, now, hours, 8 * 24)
    assert asked.hourly
    assert asked.since.minute == asked.since.second == asked.since.microsecond == 0
    for regions in (None, frozenset({"ZK-KENNEMERLAND"}), frozenset({"ZK-AMSTERDAM"})):
        for place_types in ([], ["WLZ_CRISIS"]):
            hourly = await repository.history(rolled_back, ttl, regions, place_types, asked)
            on_hours = await repository.history_from_reports(
                rolled_back,
                ttl,
                regions,
                place_types,
                since=asked.since,
                step=hours,
                points=asked.points - 1,
            )
            at_now = await repository.history_from_reports(
                rolled_back, ttl, regions, place_types, since=now, step=hours, points=0
            )
            reported = {(r.place_type, r.k): tuple(r) for r in on_hours if r.k is not None}
            reported |= {
                (r.place_type, asked.points): (*r[:2], asked.points, *r[3:])
                for r in at_now
                if r.k is not None
            }
            assert {(r.place_type, r.k): tuple(r) for r in hourly if r.k is not None} == reported
            assert {r.place_type: r.facilities for r in hourly} == {
                r.place_type: r.facilities for r in on_hours
            }
            assert any(k == asked.points for _, k in reported)


async def test_other_steps_or_times_to_live_are_read_from_the_reports(
    rolled_back: AsyncSession,
) -> None:
    ttl = reference.ttl_seconds({})
    now = datetime(2026, 12, 1, 10, 17, 3, tzinfo=UTC)
    step = timedelta(hours=2)
    hourly = await repository.moments(rolled_back, ttl, now, step, 84)
    assert hourly.hourly
    assert (hourly.since, hourly.until) == (datetime(2026, 11, 24, 10, tzinfo=UTC), now)
    assert [hourly.at(k) for k in (0, 83, 84)] == [
        hourly.since,
        datetime(2026, 12, 1, 8, tzinfo=UTC),
        now,
    ]
    odd = await repository.moments(rolled_back, ttl, now, timedelta(seconds=1028), 84)
    assert not odd.hourly
    assert (odd.since, odd.at(84)) == (now - 84 * timedelta(seconds=1028), now)
    overridden = reference.ttl_seconds({"GGZ_CRISIS": 2})
    assert not (await repository.moments(rolled_back, overridden, now, step, 84)).hourly


async def test_many_reports_of_one_place_in_one_statement(
    client: httpx.AsyncClient, auth: TokenFactory, rolled_back: AsyncSession
) -> None:
    """A write path may insert a batch's reports in one statement, several of one place
    among them, in any order of time: the sums change as if they came one by one."""
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"], place_types=["GRZ"])
    hours = timedelta(hours=1)
    await report(client, auth, facility, "GRZ", available=4, age=30 * hours)
    await report(client, auth, facility, "GRZ", available=3, age=10 * hours)
    now = datetime.now(UTC)
    ages = [20 * hours, 2 * hours, 40 * hours, 10 * hours, 9 * hours + 59 * timedelta(minutes=1)]
    await rolled_back.execute(
        text(
            "INSERT INTO capacity.capacity_reports (facility_id, place_type, staffed, occupied, "
            "available, observed_at, received_at, applied, reporter) "
            "SELECT CAST(:facility AS uuid), 'GRZ', 9, 9 - a, a, o, o, false, 'test' "
            "FROM unnest(CAST(:available AS int[]), CAST(:observed AS timestamptz[])) AS r(a, o)"
        ),
        {
            "facility": facility["id"],
            "available": [1, 2, 5, 0, 6],
            "observed": [now - age for age in ages],
        },
    )
    ttl = reference.ttl_seconds({})
    since = now.replace(minute=0, second=0, microsecond=0) - 3 * timedelta(days=1)
    points = 3 * 24
    at = repository.Moments(since, hours, points, now, hourly=True)
    hourly = await repository.history_from_hours(rolled_back, ttl, None, [], at)
    reported = await repository.history_from_reports(
        rolled_back, ttl, None, [], since=since, step=hours, points=points - 1
    )
    # Every whole hour the same (the last moment, now, is not a whole hour).
    assert [tuple(r) for r in hourly if r.k != points] == [tuple(r) for r in reported]
    # The oldest report is 40 hours old: every whole hour since it has numbers (39 of them,
    # 40 when now is a whole hour), so the comparison above covered them all.
    assert len([r for r in reported if r.k is not None]) >= 39
