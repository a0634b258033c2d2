from typing import Literal

from pydantic import BaseModel, Field

from services.triage.referrals.schemas import Point
from shared.contracts.matching import MatchItem, ScoreComponents

__all__ = ["MatchItem", "Matches", "Scope", "ScoreComponents"]

Scope = Literal["region", "supraregional"]


class Matches(BaseModel):
    items: list[MatchItem]
    scope: Scope
    stale_fallback: bool = Field(
        description="Nothing fresh was found, so places with stale reports are shown."
    )
    origin: Point | None = Field(description="Where distances are measured from.")
    considered: int
    excluded: dict[str, int] = Field(description="Places left out, by rule.")
