"""The track record's part of a match's score: a location whose reserved places were there
and whose reports were fresh rises a little; one whose "free" places often were not, or
whose reports were often stale, sinks a little. A location without history is neutral,
never punished.

    reservations  ±5  accepted of those it answered (or let expire), scaled down while
                      there are fewer than five
    freshness     ±5  the share of the time its reports were fresh, around one half

The location's record comes from the capacity service (`shared.contracts.capacity.
TrackRecord`); the reasons say it in Dutch: "9 van 10 reserveringen geaccepteerd",
"2× toch geen plek", "vaak verouderd"."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contracts.capacity import TrackRecord

RESERVATION_POINTS = 5.0
FRESHNESS_POINTS = 5.0
RECORD_POINTS = RESERVATION_POINTS + FRESHNESS_POINTS
FULL_WEIGHT_AT = 5  # reservations before the acceptance rate counts in full
OFTEN_STALE_BELOW = 0.5  # fresh less than half the time: "vaak verouderd"


@dataclass(frozen=True, slots=True)
class RecordScore:
    """Points between -10 and +10 and the reasons in Dutch."""

    points: float = 0.0
    reasons: list[str] = field(default_factory=list)


NEUTRAL = RecordScore()


def record_score(record: TrackRecord | None) -> RecordScore:
    """What the location's track record adds to (or takes from) a match's score."""
    if record is None:
        return NEUTRAL
    points = 0.0
    reasons: list[str] = []
    answered = record.answered
    if answered:
        weight = min(answered, FULL_WEIGHT_AT) / FULL_WEIGHT_AT
        points += RESERVATION_POINTS * (2 * record.accepted / answered - 1) * weight
        noun = "reservering" if answered == 1 else "reserveringen"
        reasons.append(f"{record.accepted} van {answered} {noun} geaccepteerd")
    if record.declined_no_capacity:
        reasons.append(f"{record.declined_no_capacity}× toch geen plek")
    if record.fresh_share is not None:
        points += FRESHNESS_POINTS * (2 * record.fresh_share - 1)
        if record.fresh_share < OFTEN_STALE_BELOW:
            reasons.append("vaak verouderd")
    return RecordScore(round(points, 1), reasons)
