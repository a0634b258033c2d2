"""Unmet demand and verkeerde beddagen: the two rules, as SQL over the referrals table.

A referral is **unmet demand** when it ended without a place or is still without one past
its due time — never once it was placed:

    no_place_found  cancelled with that reason code
    no_place        closed with advice because nothing suitable was free
    overdue         still submitted, in triage or searching after its `due_at`

Its wait runs from submission until it closed, or until now while it is still open.

**Verkeerde beddagen** are the days a patient referred by a hospital spends in a hospital
bed it no longer needs: from submission until placement — or until the referral closed
without one, or until now while it waits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, literal, null

from services.triage.referrals.models import Referral

REASONS = ("no_place_found", "no_place", "overdue")
STILL_SEARCHING = ("submitted", "in_triage", "searching")
DAY_SECONDS = 86400.0
HOSPITAL = "hospital"  # the organisation kind whose referrals count for verkeerde beddagen


def unmet_reason(now: datetime) -> ColumnElement[str | None]:
    """SQL: why the referral is unmet demand as of `now` (one of `REASONS`), or null."""
    return case(
        (Referral.placed_at.is_not(None), null()),
        (
            and_(Referral.status == "cancelled", Referral.closed_reason == "no_place_found"),
            literal("no_place_found"),
        ),
        (
            and_(Referral.status == "advised", Referral.closed_reason == "no_place"),
            literal("no_place"),
        ),
        (
            and_(Referral.status.in_(STILL_SEARCHING), Referral.due_at <= now),
            literal("overdue"),
        ),
        else_=null(),
    )


def waited_seconds(now: datetime) -> ColumnElement[float]:
    """SQL: seconds from submission until it closed, or until `now` while open."""
    return cast(
        func.extract("epoch", func.coalesce(Referral.closed_at, now) - Referral.created_at), Float
    )


def from_hospital(hospitals: Collection[object]) -> ColumnElement[bool]:
    """SQL: the referring organisation is a hospital (ids from the capacity service)."""
    return Referral.organisation_id.in_(sorted(hospitals, key=str))


def bed_days(start: datetime, end: datetime) -> ColumnElement[float]:
    """SQL: the verkeerde beddagen of one referral that fall between `start` and `end`."""
    until = func.least(func.coalesce(Referral.placed_at, Referral.closed_at, end), end)
    since = func.greatest(Referral.created_at, start)
    seconds = func.greatest(func.extract("epoch", until - since), 0)
    return cast(seconds / DAY_SECONDS, Float)


def waiting(end: datetime) -> ColumnElement[bool]:
    """SQL: a hospital's patient still waits for a place at `end`."""
    return and_(
        Referral.placed_at.is_(None),
        Referral.closed_at.is_(None),
        Referral.created_at < end,
    )
