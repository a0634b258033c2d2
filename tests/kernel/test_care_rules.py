"""The care rules, row by row, with the clock passed in: admission hours (weekdays, weekends,
Dutch public holidays, evenings, the 17:00 boundary, the change to and from summer time,
the referral's due time before and after the next admission moment) and single-sex rooms
(every sex against every feature)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared import care_rules
from shared.care_rules import AMSTERDAM, Screen, admission_note, assess, next_admission, when


def ams(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock moment in Amsterdam."""
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


# (now, the next admission moment of an office-hours location)
NEXT_ADMISSION = [
    pytest.param(ams(2026, 12, 3, 10), ams(2026, 12, 3, 10), id="thursday-10:00-admits-now"),
    pytest.param(ams(2026, 12, 3, 8), ams(2026, 12, 3, 8), id="thursday-08:00-opens"),
    pytest.param(ams(2026, 12, 3, 7, 59), ams(2026, 12, 3, 8), id="thursday-07:59-today-08:00"),
    pytest.param(ams(2026, 12, 3, 2, 11), ams(2026, 12, 3, 8), id="thursday-night-today-08:00"),
    pytest.param(
        ams(2026, 12, 3, 16, 59), ams(2026, 12, 3, 16, 59), id="thursday-16:59-still-admits"
    ),
    pytest.param(ams(2026, 12, 3, 17), ams(2026, 12, 4, 8), id="thursday-17:00-closed-friday"),
    pytest.param(ams(2026, 12, 3, 20), ams(2026, 12, 4, 8), id="thursday-evening-friday"),
    pytest.param(ams(2026, 12, 4, 17), ams(2026, 12, 7, 8), id="friday-17:00-monday"),
    pytest.param(ams(2026, 12, 5, 2, 11), ams(2026, 12, 7, 8), id="saturday-night-monday"),
    pytest.param(ams(2026, 12, 5, 11), ams(2026, 12, 7, 8), id="saturday-day-monday"),
    pytest.param(ams(2026, 12, 6, 23, 59), ams(2026, 12, 7, 8), id="sunday-late-monday"),
    pytest.param(
        ams(2026, 12, 25, 10), ams(2026, 12, 28, 8), id="christmas-friday-then-weekend-monday"
    ),
    pytest.param(ams(2026, 12, 24, 18), ams(2026, 12, 28, 8), id="christmas-eve-evening-monday"),
    pytest.param(ams(2026, 4, 27, 10), ams(2026, 4, 28, 8), id="kings-day-monday-tuesday"),
    pytest.param(
        ams(2026, 4, 2, 18), ams(2026, 4, 7, 8), id="easter-good-friday-to-easter-monday-tuesday"
    ),
    pytest.param(ams(2026, 1, 1, 9), ams(2026, 1, 2, 8), id="new-year-thursday-friday"),
    pytest.param(
        ams(2026, 3, 27, 18), ams(2026, 3, 30, 8), id="summer-time-starts-over-the-weekend"
    ),
    pytest.param(ams(2026, 10, 23, 18), ams(2026, 10, 26, 8), id="summer-time-ends-over-weekend"),
]


@pytest.mark.parametrize(("now", "expected"), NEXT_ADMISSION)
def test_next_admission_of_an_office_hours_location(now: datetime, expected: datetime) -> None:
    assert next_admission("office", now) == expected
    assert care_rules.admits_at("office", now) is (expected == now)


@pytest.mark.parametrize(
    ("moment", "admits"),
    [
        pytest.param(datetime(2026, 1, 15, 7, 0, tzinfo=UTC), True, id="08:00-CET"),
        pytest.param(datetime(2026, 1, 15, 6, 59, tzinfo=UTC), False, id="07:59-CET"),
        pytest.param(datetime(2026, 1, 15, 15, 59, tzinfo=UTC), True, id="16:59-CET"),
        pytest.param(datetime(2026, 1, 15, 16, 0, tzinfo=UTC), False, id="17:00-CET"),
        pytest.param(datetime(2026, 7, 1, 6, 0, tzinfo=UTC), True, id="08:00-CEST"),
        pytest.param(datetime(2026, 7, 1, 15, 30, tzinfo=UTC), False, id="17:30-CEST"),
    ],
)
def test_office_hours_are_dutch_time(moment: datetime, admits: bool) -> None:
    assert care_rules.admits_at("office", moment) is admits


def test_the_change_of_summer_time_moves_08_00_in_utc() -> None:
    # Friday before the clocks go forward opens at 07:00 UTC, the Monday after at 06:00 UTC.
    assert ams(2026, 3, 27, 8).astimezone(UTC) == datetime(2026, 3, 27, 7, tzinfo=UTC)
    friday_night = datetime(2026, 3, 27, 17, tzinfo=UTC)
    assert next_admission("office", friday_night).astimezone(UTC) == datetime(
        2026, 3, 30, 6, tzinfo=UTC
    )
    # and back: the Monday after the clocks go back opens at 07:00 UTC again.
    assert next_admission("office", datetime(2026, 10, 23, 16, tzinfo=UTC)).astimezone(
        UTC
    ) == datetime(2026, 10, 26, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(ams(2026, 12, 5, 2, 11), id="saturday-night"),
        pytest.param(ams(2026, 12, 25, 10), id="christmas"),
        pytest.param(ams(2026, 12, 3, 17), id="weekday-17:00"),
    ],
)
def test_a_24_7_location_always_admits(now: datetime) -> None:
    assert next_admission("24/7", now) == now
    assert care_rules.admits_at("24/7", now) is True
    assert admission_note("24/7", now) is None


def test_unknown_admission_hours_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="admission hours"):
        next_admission("nights", ams(2026, 12, 3, 10))


SATURDAY_NIGHT = ams(2026, 12, 5, 2, 11)
MONDAY_8 = ams(2026, 12, 7, 8)

# (admission hours, now, the referral's due time, eligible, refusal text, admits from)
ADMISSION_ELIGIBILITY = [
    pytest.param(
        "office",
        SATURDAY_NIGHT,
        ams(2026, 12, 5, 4, 11),
        False,
        "Deze locatie neemt op vanaf ma 7 dec 08:00; "
        "de aanmelding moet uiterlijk 04:11 geplaatst zijn.",
        MONDAY_8,
        id="acute-at-saturday-night-due-before-monday",
    ),
    pytest.param(
        "office",
        ams(2026, 12, 4, 20),
        ams(2026, 12, 5, 2),
        False,
        "Deze locatie neemt op vanaf ma 7 dec 08:00; "
        "de aanmelding moet uiterlijk morgen 02:00 geplaatst zijn.",
        MONDAY_8,
        id="friday-evening-due-tomorrow-night",
    ),
    pytest.param(
        "office", SATURDAY_NIGHT, MONDAY_8, True, "", MONDAY_8, id="due-exactly-at-next-admission"
    ),
    pytest.param(
        "office",
        SATURDAY_NIGHT,
        ams(2026, 12, 7, 7, 59),
        False,
        "Deze locatie neemt op vanaf ma 7 dec 08:00; "
        "de aanmelding moet uiterlijk ma 7 dec 07:59 geplaatst zijn.",
        MONDAY_8,
        id="due-a-minute-before-next-admission",
    ),
    pytest.param(
        "office", SATURDAY_NIGHT, ams(2026, 12, 8, 0), True, "", MONDAY_8, id="due-after-monday"
    ),
    pytest.param(
        "office",
        ams(2026, 12, 3, 20),
        ams(2026, 12, 4, 10),
        True,
        "",
        ams(2026, 12, 4, 8),
        id="thursday-evening-due-friday-morning",
    ),
    pytest.param(
        "office",
        ams(2026, 12, 3, 10),
        ams(2026, 12, 3, 12),
        True,
        "",
        None,
        id="weekday-office-hours-admits-now",
    ),
    pytest.param(
        "office",
        ams(2026, 12, 3, 10),
        ams(2026, 12, 3, 9),
        True,
        "",
        None,
        id="overdue-but-admits-now",
    ),
    pytest.param(
        "office",
        ams(2026, 12, 3, 20),
        ams(2026, 12, 3, 19),
        False,
        "Deze locatie neemt op vanaf morgen 08:00; "
        "de aanmelding moest uiterlijk 19:00 geplaatst zijn.",
        ams(2026, 12, 4, 8),
        id="overdue-and-closed",
    ),
    pytest.param(
        "office",
        ams(2026, 12, 24, 18),
        ams(2026, 12, 25, 18),
        False,
        "Deze locatie neemt op vanaf ma 28 dec 08:00; "
        "de aanmelding moet uiterlijk morgen 18:00 geplaatst zijn.",
        ams(2026, 12, 28, 8),
        id="christmas-holidays",
    ),
    pytest.param(
        "office",
        ams(2026, 12, 31, 18),
        ams(2027, 1, 1, 20),
        False,
        "Deze locatie neemt op vanaf ma 4 jan 2027 08:00; "
        "de aanmelding moet uiterlijk morgen 20:00 geplaatst zijn.",
        ams(2027, 1, 4, 8),
        id="new-year-next-year-named",
    ),
    pytest.param("office", SATURDAY_NIGHT, None, True, "", MONDAY_8, id="no-referral-only-informs"),
    pytest.param("24/7", SATURDAY_NIGHT, ams(2026, 12, 5, 4, 11), True, "", None, id="24-7-always"),
]


@pytest.mark.parametrize(
    ("hours", "now", "due_at", "eligible", "refusal", "admits_from"), ADMISSION_ELIGIBILITY
)
def test_admission_hours_against_the_due_time(
    hours: str,
    now: datetime,
    due_at: datetime | None,
    eligible: bool,
    refusal: str,
    admits_from: datetime | None,
) -> None:
    verdict = assess(hours, [], now=now, due_at=due_at, sex="female")
    assert verdict.eligible is eligible
    assert verdict.detail == refusal
    assert [f.rule for f in verdict.refusals] == ([] if eligible else ["admission_hours"])
    assert verdict.admits_from == admits_from
    assert verdict.warnings == ()


@pytest.mark.parametrize(
    ("now", "note"),
    [
        pytest.param(SATURDAY_NIGHT, "opname vanaf ma 7 dec 08:00", id="weekend"),
        pytest.param(ams(2026, 12, 3, 20), "opname vanaf morgen 08:00", id="evening"),
        pytest.param(ams(2026, 12, 3, 6), "opname vanaf 08:00", id="early-morning"),
        pytest.param(ams(2026, 12, 3, 10), None, id="admits-now"),
    ],
)
def test_the_board_note_says_from_when_a_location_admits(now: datetime, note: str | None) -> None:
    assert admission_note("office", now) == note


NOW = ams(2026, 12, 3, 10)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        pytest.param(ams(2026, 12, 3, 16, 5), "16:05", id="today"),
        pytest.param(ams(2026, 12, 4, 2, 5), "morgen 02:05", id="tomorrow"),
        pytest.param(ams(2026, 12, 2, 23, 10), "gisteren 23:10", id="yesterday"),
        pytest.param(ams(2026, 12, 7, 0), "ma 7 dec 00:00", id="later-this-year"),
        pytest.param(ams(2026, 5, 5, 9, 30), "di 5 mei 09:30", id="earlier-this-year"),
        pytest.param(ams(2027, 1, 4, 8), "ma 4 jan 2027 08:00", id="another-year"),
        pytest.param(datetime(2026, 12, 3, 23, 30, tzinfo=UTC), "morgen 00:30", id="utc-to-dutch"),
    ],
)
def test_moments_carry_their_day_unless_today(moment: datetime, text: str) -> None:
    assert when(moment, NOW) == text


MALE_ONLY_WORDS = "alleen mannen (mannenkamer)"
FEMALE_ONLY_WORDS = "alleen vrouwen (vrouwenkamer)"

# (the patient's sex, the location's features, refusal, warning)
SINGLE_SEX = [
    pytest.param(
        "female",
        ["male_only"],
        f"Deze locatie neemt {MALE_ONLY_WORDS} op; de cliënt is een vrouw.",
        None,
        id="female-at-male_only-refused",
    ),
    pytest.param("female", ["female_only"], None, None, id="female-at-female_only"),
    pytest.param("female", ["dementia"], None, None, id="female-at-mixed"),
    pytest.param("male", ["male_only"], None, None, id="male-at-male_only"),
    pytest.param(
        "male",
        ["female_only", "dementia"],
        f"Deze locatie neemt {FEMALE_ONLY_WORDS} op; de cliënt is een man.",
        None,
        id="male-at-female_only-refused",
    ),
    pytest.param("male", [], None, None, id="male-at-mixed"),
    pytest.param(
        "other",
        ["male_only"],
        None,
        f"{MALE_ONLY_WORDS}: overleg eerst met de locatie",
        id="other-at-male_only-warned",
    ),
    pytest.param(
        "other",
        ["female_only"],
        None,
        f"{FEMALE_ONLY_WORDS}: overleg eerst met de locatie",
        id="other-at-female_only-warned",
    ),
    pytest.param("other", [], None, None, id="other-at-mixed"),
    pytest.param(
        "unknown",
        ["male_only"],
        None,
        f"{MALE_ONLY_WORDS}: overleg eerst met de locatie",
        id="unknown-at-male_only-warned",
    ),
    pytest.param(
        "unknown",
        ["female_only"],
        None,
        f"{FEMALE_ONLY_WORDS}: overleg eerst met de locatie",
        id="unknown-at-female_only-warned",
    ),
    pytest.param("unknown", ["pets"], None, None, id="unknown-at-mixed"),
    pytest.param(None, ["male_only"], None, None, id="no-patient-known-male_only"),
    pytest.param(None, ["female_only"], None, None, id="no-patient-known-female_only"),
]


@pytest.mark.parametrize(("sex", "features", "refusal", "warning"), SINGLE_SEX)
def test_single_sex_rooms(
    sex: str | None, features: list[str], refusal: str | None, warning: str | None
) -> None:
    verdict = assess("24/7", features, now=NOW, sex=sex, due_at=NOW)
    assert verdict.eligible is (refusal is None)
    assert [f.text for f in verdict.refusals] == ([refusal] if refusal else [])
    assert [f.rule for f in verdict.refusals] == (["single_sex"] if refusal else [])
    assert [f.text for f in verdict.warnings] == ([warning] if warning else [])
    assert verdict.admits_from is None


def test_both_rules_refuse_together_in_one_detail() -> None:
    verdict = assess(
        "office", ["male_only"], now=SATURDAY_NIGHT, sex="female", due_at=ams(2026, 12, 5, 4, 11)
    )
    assert [f.rule for f in verdict.refusals] == ["admission_hours", "single_sex"]
    assert verdict.detail == (
        "Deze locatie neemt op vanaf ma 7 dec 08:00; de aanmelding moet uiterlijk 04:11 "
        "geplaatst zijn. Deze locatie neemt alleen mannen (mannenkamer) op; "
        "de cliënt is een vrouw."
    )


def test_one_screen_judges_many_locations_alike() -> None:
    screen = Screen(now=SATURDAY_NIGHT, sex="male", due_at=ams(2026, 12, 5, 4, 11))
    verdicts = [screen.assess(hours, []) for hours in ("office", "24/7", "office")]
    assert [v.eligible for v in verdicts] == [False, True, False]
    assert verdicts[0] == verdicts[2]
    assert verdicts[1] == care_rules.ELIGIBLE


@pytest.mark.parametrize(
    ("sex", "due_at", "hours", "features"),
    [
        pytest.param(None, None, set(), set(), id="no-patient"),
        pytest.param("female", None, set(), {"male_only"}, id="female"),
        pytest.param("male", None, set(), {"female_only"}, id="male"),
        pytest.param("unknown", None, set(), set(), id="unknown-only-warned"),
        pytest.param(None, ams(2026, 12, 5, 4, 11), {"office"}, set(), id="due-before-monday"),
        pytest.param(None, MONDAY_8, set(), set(), id="due-at-monday"),
    ],
)
def test_what_a_search_leaves_out_in_its_query(
    sex: str | None, due_at: datetime | None, hours: set[str], features: set[str]
) -> None:
    screen = Screen(now=SATURDAY_NIGHT, sex=sex, due_at=due_at)
    assert screen.ruled_out() == (frozenset(hours), frozenset(features))
    # and each left out alone is exactly what `assess` refuses
    for kind in care_rules.ADMISSION_HOURS:
        assert screen.assess(kind, ()).eligible is (kind not in hours)
    for feature in care_rules.SINGLE_SEX:
        assert screen.assess("24/7", (feature,)).eligible is (feature not in features)
