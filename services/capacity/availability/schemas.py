from shared.contracts.capacity import (
    AvailabilityItem,
    CandidatePlace,
    Candidates,
    FacilitySummary,
    HistoryPoint,
    HistorySeries,
    RegionalHistory,
    Summary,
    SummaryItem,
)

__all__ = [
    "AvailabilityItem",
    "CandidatePlace",
    "Candidates",
    "FacilitySummary",
    "HistoryPoint",
    "HistorySeries",
    "RegionalHistory",
    "Summary",
    "SummaryItem",
]
