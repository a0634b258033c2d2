"""Per-caller rate limits: writes (POST, PUT, PATCH, DELETE) and searches (every GET of an
API) each have a budget per minute, spent one request at a time and refilled evenly, so a
whole minute's budget may be spent at once (a provider system posting every location) and
then one request per 60/N seconds. Over budget: 429 with `Retry-After`.

The count is kept in each process (a generic cell rate algorithm: one number per caller
and kind), so with N replicas behind a load balancer a caller may get up to N times the
budget. The services' own calls to each other (role `service`) are not limited.
ZORGPLEK_RATE_LIMITS=off switches every limit off (benchmarks)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from shared.errors import DomainError

Kind = Literal["write", "search"]
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_CALLERS = 100_000  # remembered per process; idle ones are forgotten first


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"


@dataclass(slots=True)
class RateLimiter:
    """Budgets per minute for writes and searches, per caller."""

    writes_per_minute: int
    searches_per_minute: int
    clock: Callable[[], float] = time.monotonic
    # Per (caller, kind): the moment at which the caller's budget is whole again.
    _full_at: dict[tuple[str, Kind], float] = field(default_factory=dict)

    def check(self, caller: str, method: str) -> None:
        """Spend one request of `caller`'s budget for `method`, or raise 429."""
        kind: Kind = "search" if method.upper() in READ_METHODS else "write"
        budget = self.writes_per_minute if kind == "write" else self.searches_per_minute
        interval = 60.0 / budget  # one request's worth of budget, in seconds
        now = self.clock()
        key = (caller, kind)
        full_at = max(self._full_at.get(key, now), now) + interval
        # The budget holds `budget` requests: spending one must not take it below zero.
        if full_at - now > 60.0 + 1e-9:
            wait = full_at - now - 60.0
            raise TooManyRequests(
                f"Too many {'changes' if kind == 'write' else 'searches'} in a short time "
                f"(at most {budget} a minute); please wait {math.ceil(wait)} s.",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        if len(self._full_at) >= MAX_CALLERS and key not in self._full_at:
            self._forget_idle(now)
        self._full_at[key] = full_at

    def _forget_idle(self, now: float) -> None:
        """Drop callers whose budget is whole again (they lose nothing); if every caller is
        busy, start afresh rather than grow without bound."""
        idle = [key for key, full_at in self._full_at.items() if full_at <= now]
        for key in idle:
            del self._full_at[key]
        if len(self._full_at) >= MAX_CALLERS:
            self._full_at.clear()
