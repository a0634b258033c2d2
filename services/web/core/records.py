"""A location's track record in Dutch words, for Mijn locaties and Regio."""

from __future__ import annotations

from shared.contracts.capacity import TrackRecord


def percent(share: float | None) -> str:
    """A share as a whole percentage ("92%"), or "–" when unknown."""
    return "–" if share is None else f"{share * 100:.0f}%"


def record_words(record: TrackRecord) -> list[str]:
    """The last 30 days of `GET /api/v1/facilities/{id}/record` as short Dutch phrases:
    "9 van 10 reserveringen geaccepteerd", "1× toch geen plek", "2 verlopen zonder antwoord",
    "92% van de tijd actueel"."""
    answered = record.answered
    words = []
    if answered:
        noun = "reservering" if answered == 1 else "reserveringen"
        words.append(f"{record.accepted} van {answered} {noun} geaccepteerd")
    else:
        words.append("nog geen reserveringen")
    if record.declined_no_capacity:
        words.append(f"{record.declined_no_capacity}× toch geen plek")
    if record.expired:
        words.append(f"{record.expired} verlopen zonder antwoord")
    if record.fresh_share is not None:
        words.append(f"{percent(record.fresh_share)} van de tijd actueel")
    return words
