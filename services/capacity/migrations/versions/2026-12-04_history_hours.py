"""The regional history per whole hour: per hour, place type and region, the sum of the
last report of every place that was still fresh then (`capacity.history_hours`), kept up
to date by a trigger on every insert into `capacity_reports` — in the writing transaction,
whichever path writes — and filled from the reports there are now. The regional history
then reads one row per hour, place type and region instead of every report of the period.

The times-to-live it was built with are those of the reference data
(`capacity.history_ttl`); where a deployment overrides them, the history is read from the
reports as before (services/capacity/availability/repository.py).

Revision ID: capacity_0009
Revises: capacity_0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "capacity_0009"
down_revision: str | None = "capacity_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# shared/data/place_types.csv, in seconds, as this migration was written.
TTL_SECONDS = {
    "ELV_LAAG": 43200,
    "ELV_HOOG": 43200,
    "ELV_PALLIATIEF": 43200,
    "GRZ": 43200,
    "WLZ_CRISIS": 14400,
    "WLZ_LOGEER": 43200,
    "WMO_KORTDUREND": 43200,
    "GGZ_CRISIS": 14400,
    "JEUGD_CRISIS": 14400,
    "OBSERVATIE": 14400,
}

TTL_FUNCTION = """
CREATE FUNCTION capacity.history_ttl(place_type text) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE place_type {cases} END
"""

# The first whole hour (UTC) at or after a moment.
FIRST_HOUR = "date_trunc('hour', {0} - interval '1 microsecond', 'UTC') + interval '1 hour'"

# Each report counts at the whole hours from its own until the next report of its place or
# until it goes stale, whichever is first: at hour h a place contributes its last report
# (by observed_at, then id) made at or before h, if h is at most its time-to-live after it.
# For each hour a new report may change — from its own up to its time-to-live later — the
# place's contribution with the new reports is compared with the one without them, and the
# difference added. Callers insert the reports of one place one transaction at a time (both
# write paths hold the place's row in capacity.capacity locked); the cells are updated in
# one order, so concurrent writers wait for each other instead of deadlocking.
ADD_FUNCTION = f"""
CREATE FUNCTION capacity.history_hours_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO capacity.history_hours AS h
        (at, place_type, region_code, available, staffed, reporting)
    SELECT c.at, c.place_type, c.region_code,
        sum(coalesce(a.available, 0) - coalesce(b.available, 0)),
        sum(coalesce(a.staffed, 0) - coalesce(b.staffed, 0)),
        sum((a.id IS NOT NULL)::int - (b.id IS NOT NULL)::int)
    FROM (
        SELECT DISTINCT n.facility_id, n.place_type, f.region_code, m.at,
            make_interval(secs => capacity.history_ttl(n.place_type)) AS ttl
        FROM added n
        JOIN capacity.facilities f ON f.id = n.facility_id
        CROSS JOIN generate_series(
            {FIRST_HOUR.format("n.observed_at")},
            n.observed_at + make_interval(secs => capacity.history_ttl(n.place_type)),
            interval '1 hour'
        ) AS m(at)
    ) c
    LEFT JOIN LATERAL (
        SELECT r.id, r.available, r.staffed
        FROM capacity.capacity_reports r
        WHERE r.facility_id = c.facility_id AND r.place_type = c.place_type
            AND r.observed_at <= c.at AND r.observed_at >= c.at - c.ttl
        ORDER BY r.observed_at DESC, r.id DESC
        LIMIT 1
    ) a ON true
    LEFT JOIN LATERAL (
        SELECT r.id, r.available, r.staffed
        FROM capacity.capacity_reports r
        WHERE r.facility_id = c.facility_id AND r.place_type = c.place_type
            AND r.observed_at <= c.at AND r.observed_at >= c.at - c.ttl
            AND NOT EXISTS (SELECT FROM added x WHERE x.id = r.id)
        ORDER BY r.observed_at DESC, r.id DESC
        LIMIT 1
    ) b ON true
    WHERE a.id IS DISTINCT FROM b.id
    GROUP BY c.at, c.place_type, c.region_code
    ORDER BY c.at, c.place_type, c.region_code
    ON CONFLICT (at, place_type, region_code) DO UPDATE SET
        available = h.available + excluded.available,
        staffed = h.staffed + excluded.staffed,
        reporting = h.reporting + excluded.reporting;
    RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE TRIGGER history_hours_add AFTER INSERT ON capacity.capacity_reports
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION capacity.history_hours_add()
"""

# The hours from `since` on again, from the reports: after this migration, and after
# reports were written with the trigger disabled (a bulk load).
REBUILD_FUNCTION = f"""
CREATE FUNCTION capacity.history_hours_rebuild(since timestamptz) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM capacity.history_hours WHERE at >= since;
    INSERT INTO capacity.history_hours
        (at, place_type, region_code, available, staffed, reporting)
    SELECT m.at, r.place_type, f.region_code, sum(r.available), sum(r.staffed), count(*)
    FROM (
        SELECT r.facility_id, r.place_type, r.available, r.staffed, r.observed_at,
            lead(r.observed_at) OVER (
                PARTITION BY r.facility_id, r.place_type ORDER BY r.observed_at, r.id
            ) AS next_at
        FROM capacity.capacity_reports r
        WHERE r.observed_at >= since - make_interval(secs => capacity.history_ttl(r.place_type))
    ) r
    JOIN capacity.facilities f ON f.id = r.facility_id
    CROSS JOIN generate_series(
        {FIRST_HOUR.format("r.observed_at")},
        r.observed_at + make_interval(secs => capacity.history_ttl(r.place_type)),
        interval '1 hour'
    ) AS m(at)
    WHERE m.at >= since AND (r.next_at IS NULL OR m.at < r.next_at)
    GROUP BY m.at, r.place_type, f.region_code;
$$
"""

# The history asks for at most 31 days back.
REBUILT = "interval '32 days'"


def upgrade() -> None:
    op.create_table(
        "history_hours",
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place_type", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("staffed", sa.BigInteger(), nullable=False),
        sa.Column("reporting", sa.Integer(), nullable=False),
        # The sums in the index too: the history reads the index only.
        sa.PrimaryKeyConstraint(
            "at",
            "place_type",
            "region_code",
            name=op.f("pk_history_hours"),
            postgresql_include=["available", "staffed", "reporting"],
        ),
        schema="capacity",
    )
    cases = " ".join(f"WHEN '{code}' THEN {seconds}" for code, seconds in TTL_SECONDS.items())
    op.execute(TTL_FUNCTION.format(cases=cases))
    op.execute(ADD_FUNCTION)
    op.execute(TRIGGER)
    op.execute(REBUILD_FUNCTION)
    op.execute(f"SELECT capacity.history_hours_rebuild(now() - {REBUILT})")
    op.execute("ANALYZE capacity.history_hours")


def downgrade() -> None:
    op.execute("DROP TRIGGER history_hours_add ON capacity.capacity_reports")
    op.execute("DROP FUNCTION capacity.history_hours_rebuild(timestamptz)")
    op.execute("DROP FUNCTION capacity.history_hours_add()")
    op.execute("DROP FUNCTION capacity.history_ttl(text)")
    op.drop_table("history_hours", schema="capacity")
