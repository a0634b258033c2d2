"""The triagists Zorgplek knows: recorded as they work the queue or claim a case, so that a
case can be handed to a colleague of the same region by their `sub`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.triagists import repository
from services.triage.triagists.models import Triagist
from shared import reference
from shared.auth import Principal, ensure_role
from shared.errors import Forbidden

# An unchanged triagist is written at most this often, however often the queue is read.
REFRESH = timedelta(minutes=5)


async def note_at_work(session: AsyncSession, principal: Principal, now: datetime) -> None:
    """Remember a triagist (a person, not an API key) with the name and regions of their
    token."""
    regions = sorted(r for r in principal.regions if r in reference.regions())
    if principal.has("triagist") and principal.via != "api_key" and regions:
        await repository.seen(session, principal.sub, principal.name, regions, now, REFRESH)


def _regions_over(code: str) -> frozenset[str]:
    """Every region whose triagists cover `code`: itself and the regions above it."""
    return frozenset(r for r in reference.regions() if code in reference.covered_regions(r))


async def colleague(session: AsyncSession, sub: str, region_code: str) -> Triagist | None:
    """The known triagist `sub` if they cover `region_code`; otherwise None."""
    triagist = await repository.get(session, sub)
    if triagist is None or not reference.covers(triagist.regions, region_code):
        return None
    return triagist


async def colleagues(
    session: AsyncSession, principal: Principal, region: str | None
) -> list[Triagist]:
    """The known triagists of `region` (default: every region of the caller), for a
    triagist who hands a case over."""
    ensure_role(principal, "triagist", doing="list triagists")
    mine: frozenset[str] = frozenset().union(
        *(reference.covered_regions(r) for r in principal.regions)
    )
    wanted = reference.covered_regions(region) if region else mine
    if not wanted <= mine:
        raise Forbidden(f"Region {region} is not one of your regions.")
    over: set[str] = set()
    for code in wanted:
        over |= _regions_over(code)
    return await repository.working_in(session, over)
