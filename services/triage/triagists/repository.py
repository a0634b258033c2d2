from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.triagists.models import Triagist


async def seen(
    session: AsyncSession,
    sub: str,
    name: str,
    regions: list[str],
    now: datetime,
    refresh: timedelta,
) -> None:
    """Record a triagist at work; an unchanged one is written at most once per `refresh`."""
    statement = insert(Triagist).values(sub=sub, name=name, regions=regions, seen_at=now)
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Triagist.sub],
            set_={"name": new.name, "regions": new.regions, "seen_at": new.seen_at},
            where=or_(
                Triagist.seen_at < now - refresh,
                Triagist.name != new.name,
                Triagist.regions != new.regions,
            ),
        )
    )


async def get(session: AsyncSession, sub: str) -> Triagist | None:
    return await session.get(Triagist, sub)


async def working_in(session: AsyncSession, region_codes: Collection[str]) -> list[Triagist]:
    """Triagists whose regions include any of `region_codes`, by name."""
    query = (
        select(Triagist)
        .where(Triagist.regions.overlap(sorted(region_codes)))
        .order_by(Triagist.name, Triagist.sub)
    )
    return list((await session.scalars(query)).all())
