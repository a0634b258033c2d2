from shared.contracts.capacity import (
    AvailabilityItem,
    FacilitySummary,
    HistoryPoint,
    HistorySeries,
    RegionalHistory,
    Summary,
    SummaryItem,
)

__all__ = [
    "AvailabilityItem",
    "FacilitySummary",
    "HistoryPoint",
    "HistorySeries",
    "RegionalHistory",
    "Summary",
    "SummaryItem",
]
