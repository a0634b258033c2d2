"""Dutch wall-clock time: office hours and planned dates are Europe/Amsterdam."""

from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
