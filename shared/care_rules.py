"""The care rules: who may be placed where. One module for every caller — availability
search for a referral, matching, direct booking and every reservation — so the rules are
never written twice. The clock is always passed in.

Admission hours. A location with `admission_hours: "office"` admits Monday to Friday from
08:00 to 17:00 Europe/Amsterdam, not on Dutch public holidays; one with `"24/7"` always.
Such a location is eligible for a referral when it admits now, or when its next admission
moment is at or before the referral's `due_at`.

Single-sex rooms. A `male_only` location is not eligible for a woman, a `female_only` one
not for a man; for a patient whose sex is `other` or `unknown` it stays eligible, with a
warning to check with the location first.

Every finding carries its Dutch text, as the pages, the matches and a refused reservation's
`detail` show it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OFFICE_OPENS, OFFICE_CLOSES = time(8, 0), time(17, 0)
ADMISSION_HOURS = ("24/7", "office")

# A single-sex feature, the sex it admits, and how the rule names it.
SINGLE_SEX: dict[str, tuple[str, str]] = {
    "male_only": ("male", "alleen mannen (mannenkamer)"),
    "female_only": ("female", "alleen vrouwen (vrouwenkamer)"),
}
SEX_WORDS = {"male": "een man", "female": "een vrouw"}

WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

Rule = Literal["admission_hours", "single_sex"]
Sex = Literal["female", "male", "other", "unknown"]


@cache
def _dutch_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("NL")


def is_public_holiday(day: date) -> bool:
    """Whether `day` is a Dutch public holiday."""
    return day in _dutch_holidays()


def _office_day(day: date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day)


def _check_hours(admission_hours: str) -> None:
    if admission_hours not in ADMISSION_HOURS:
        raise ValueError(f"Unknown admission hours {admission_hours!r}.")


def admits_at(admission_hours: str, moment: datetime) -> bool:
    """Whether a location with these admission hours admits a patient at `moment`."""
    _check_hours(admission_hours)
    if admission_hours == "24/7":
        return True
    local = moment.astimezone(AMSTERDAM)
    return _office_day(local.date()) and OFFICE_OPENS <= local.time() < OFFICE_CLOSES


def next_admission(admission_hours: str, now: datetime) -> datetime:
    """The first moment at or after `now` at which the location admits: `now` itself while
    it admits, else the next office day's 08:00 in Amsterdam (as an aware datetime)."""
    if admits_at(admission_hours, now):
        return now
    local = now.astimezone(AMSTERDAM)
    day = local.date()
    if not (_office_day(day) and local.time() < OFFICE_OPENS):
        day += timedelta(days=1)
        while not _office_day(day):
            day += timedelta(days=1)
    return datetime.combine(day, OFFICE_OPENS, tzinfo=AMSTERDAM)


def when(moment: datetime, now: datetime) -> str:
    """A moment as a Dutch reader wants it: "08:00" today, "morgen 08:00", "gisteren
    23:10", else with its day — "ma 7 dec 08:00" (and the year when it is another)."""
    local, today = moment.astimezone(AMSTERDAM), now.astimezone(AMSTERDAM).date()
    clock = f"{local:%H:%M}"
    day = local.date()
    if day == today:
        return clock
    if day == today + timedelta(days=1):
        return f"morgen {clock}"
    if day == today - timedelta(days=1):
        return f"gisteren {clock}"
    year = f" {day.year}" if day.year != today.year else ""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}{year} {clock}"


def admission_note(admission_hours: str, now: datetime) -> str | None:
    """For the board: "opname vanaf ma 7 dec 08:00" while the location does not admit;
    None while it does."""
    start = next_admission(admission_hours, now)
    return None if start == now else f"opname vanaf {when(start, now)}"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's finding about a location for a patient, with its Dutch text."""

    rule: Rule
    text: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a location is eligible: what refuses it, what to check first, and — when it
    does not admit right now — from when it admits."""

    refusals: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    admits_from: datetime | None = None

    @property
    def eligible(self) -> bool:
        return not self.refusals

    @property
    def detail(self) -> str:
        """Every refusal in one Dutch text, as a 409 says it."""
        return " ".join(finding.text for finding in self.refusals)


@dataclass(slots=True)
class Screen:
    """The rules for one patient at one moment, applied to many locations: `sex` and
    `due_at` are the referral's (None when no referral is known: that rule then only
    informs), `now` the injected clock. A verdict is worked out once per kind of location
    (admission hours and single-sex rooms), however many locations are judged."""

    now: datetime
    sex: str | None = None
    due_at: datetime | None = None
    _verdicts: dict[tuple[str, tuple[str, ...]], Verdict] = field(default_factory=dict)

    def assess(self, admission_hours: str, features: Collection[str]) -> Verdict:
        """The verdict on a location with these admission hours and features."""
        rooms = tuple(feature for feature in SINGLE_SEX if feature in features)
        known = self._verdicts.get((admission_hours, rooms))
        if known is None:
            known = self._verdicts[(admission_hours, rooms)] = self._judge(admission_hours, rooms)
        return known

    def _judge(self, admission_hours: str, rooms: tuple[str, ...]) -> Verdict:
        admits_from, late = self._work_out(admission_hours)
        refusals: list[Finding] = [late] if late else []
        warnings: list[Finding] = []
        for feature in rooms if self.sex is not None else ():
            admitted, words = SINGLE_SEX[feature]
            if self.sex == admitted:
                continue
            if self.sex in SEX_WORDS:
                refusals.append(
                    Finding(
                        "single_sex",
                        f"Deze locatie neemt {words} op; de cliënt is {SEX_WORDS[self.sex]}.",
                    )
                )
            else:
                warnings.append(Finding("single_sex", f"{words}: overleg eerst met de locatie"))
        if not refusals and not warnings and admits_from is None:
            return ELIGIBLE
        return Verdict(tuple(refusals), tuple(warnings), admits_from)

    def ruled_out(self) -> tuple[frozenset[str], frozenset[str]]:
        """What makes any location ineligible for this patient by itself: the admission-hours
        kinds, and the features. A search leaves these out in its query, so its pages hold
        only eligible places; `assess` then says the same of every place it returns."""
        hours = frozenset(h for h in ADMISSION_HOURS if not self.assess(h, ()).eligible)
        features = frozenset(f for f in SINGLE_SEX if not self.assess("24/7", (f,)).eligible)
        return hours, features

    def _work_out(self, admission_hours: str) -> tuple[datetime | None, Finding | None]:
        start = next_admission(admission_hours, self.now)
        if start == self.now:
            return None, None
        if self.due_at is None or start <= self.due_at:
            return start, None
        had = "moest" if self.due_at < self.now else "moet"
        return start, Finding(
            "admission_hours",
            f"Deze locatie neemt op vanaf {when(start, self.now)}; de aanmelding {had} "
            f"uiterlijk {when(self.due_at, self.now)} geplaatst zijn.",
        )


ELIGIBLE = Verdict()


def assess(
    admission_hours: str,
    features: Collection[str],
    *,
    now: datetime,
    sex: str | None = None,
    due_at: datetime | None = None,
) -> Verdict:
    """The verdict on one location for one patient: see the module's text for the rules."""
    return Screen(now=now, sex=sex, due_at=due_at).assess(admission_hours, features)
