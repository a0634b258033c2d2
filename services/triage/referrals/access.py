"""Who may see and act on a referral. A role that may never do something gets 403; a
referral the caller may not see is 404 (`Hidden`), so its existence is never revealed."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.audit.service import Hidden
from services.triage.referrals import repository
from services.triage.referrals.models import Referral
from services.triage.referrals.visibility import Visibility
from shared import reference
from shared.auth import Principal
from shared.errors import Conflict, NotFound

READERS = ("referrer", "triagist", "provider")
# Provider systems act with an organisation API key only when given this scope.
RESERVATIONS_SCOPE = "reservations:write"


def triagist_regions(principal: Principal) -> frozenset[str]:
    """Every region a triagist covers: its own and those below (a ROAZ covers its
    zorgkantoren)."""
    if not principal.has("triagist"):
        return frozenset()
    covered: set[str] = set()
    for code in principal.regions:
        covered |= reference.covered_regions(code)
    return frozenset(covered)


def visibility(principal: Principal) -> Visibility:
    """What the caller is, for the visibility rule (`referrals.visibility`)."""
    return Visibility(
        organisation_id=principal.org if principal.has("referrer") else None,
        regions=triagist_regions(principal),
        provider_organisation_id=principal.org if principal.has("provider") else None,
    )


def owns(principal: Principal, referral: Referral) -> bool:
    """The caller is a referrer of the organisation that owns the referral."""
    return principal.has("referrer") and principal.belongs_to(referral.organisation_id)


def covers(principal: Principal, referral: Referral) -> bool:
    """The caller is a triagist of the referral's region."""
    return referral.region_code in triagist_regions(principal)


def ensure_assignee(principal: Principal, referral: Referral, doing: str) -> None:
    """A triagist acts on a referral only once it has claimed it."""
    if referral.assignee is None:
        raise Conflict(
            f"Claim the referral before you {doing}.",
            extra={"referral_status": referral.status, "assignee": None},
        )
    if referral.assignee != principal.sub:
        raise Conflict(
            f"{referral.assignee_name} handles this referral; only they may {doing}.",
            extra={"referral_status": referral.status, "assignee": referral.assignee},
        )


async def visible_referral(
    session: AsyncSession, principal: Principal, referral_id: uuid.UUID, *, lock: bool = False
) -> Referral:
    """The referral if the caller may see it; 404 when unknown or not theirs to see."""
    referral = await repository.get(session, referral_id, lock=lock)
    if referral is None:
        raise NotFound("No such referral.")
    if not await repository.is_visible(session, referral_id, visibility(principal)):
        raise Hidden()
    return referral
