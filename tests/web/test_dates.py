"""How the pages write a moment and a date: every row of the rule, the clock injected.
The browser tests check that the live script's `when` says exactly the same."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.web.core.render import day, when

# Wednesday 2 December 2026, 14:00 in Amsterdam (UTC+1).
NOW = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)

# (name, moment, what a person reads)
MOMENTS = [
    ("earlier today", datetime(2026, 12, 2, 7, 5, tzinfo=UTC), "08:05"),
    ("later today", datetime(2026, 12, 2, 22, 59, tzinfo=UTC), "23:59"),
    ("just after midnight is tomorrow", datetime(2026, 12, 2, 23, 0, tzinfo=UTC), "morgen 00:00"),
    ("tomorrow at night", datetime(2026, 12, 3, 1, 5, tzinfo=UTC), "morgen 02:05"),
    ("yesterday evening", datetime(2026, 12, 1, 22, 10, tzinfo=UTC), "gisteren 23:10"),
    ("the day after tomorrow", datetime(2026, 12, 3, 23, 0, tzinfo=UTC), "vr 4 dec 00:00"),
    ("next Monday", datetime(2026, 12, 6, 23, 0, tzinfo=UTC), "ma 7 dec 00:00"),
    ("last week", datetime(2026, 11, 23, 13, 5, tzinfo=UTC), "ma 23 nov 14:05"),
    ("summer time", datetime(2026, 7, 1, 6, 0, tzinfo=UTC), "wo 1 jul 08:00"),
    ("next year", datetime(2027, 1, 4, 7, 0, tzinfo=UTC), "ma 4 jan 2027 08:00"),
    ("as the API writes it", "2026-12-03T01:05:00Z", "morgen 02:05"),
    ("with an offset", "2026-12-03T02:05:00+01:00", "morgen 02:05"),
]


@pytest.mark.parametrize(
    ("moment", "expected"), [m[1:] for m in MOMENTS], ids=[m[0] for m in MOMENTS]
)
def test_a_moment_carries_its_day_unless_it_is_today(moment: object, expected: str) -> None:
    assert when(moment, NOW) == expected


def test_just_before_midnight_in_amsterdam_tomorrow_starts_an_hour_before_utc() -> None:
    late = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam
    assert when(datetime(2026, 12, 2, 23, 30, tzinfo=UTC), late) == "morgen 00:30"
    assert when(datetime(2026, 12, 2, 22, 45, tzinfo=UTC), late) == "23:45"


def test_nothing_reads_as_an_empty_string() -> None:
    assert when(None, NOW) == ""
    assert when("not a time", NOW) == ""


DAYS = [
    ("today", date(2026, 12, 2), "vandaag"),
    ("tomorrow", date(2026, 12, 3), "morgen"),
    ("yesterday", date(2026, 12, 1), "gisteren"),
    ("next Monday", date(2026, 12, 7), "ma 7 dec"),
    ("as the API writes it", "2026-12-10", "do 10 dec"),
    ("next year", "2027-02-01", "ma 1 feb 2027"),
]


@pytest.mark.parametrize(("value", "expected"), [d[1:] for d in DAYS], ids=[d[0] for d in DAYS])
def test_a_planned_date_is_written_in_dutch_never_iso(value: object, expected: str) -> None:
    assert day(value, NOW) == expected
