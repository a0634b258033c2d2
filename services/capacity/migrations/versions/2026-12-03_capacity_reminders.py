"""Reminders before a report goes stale: the last `capacity.due` stage sent for the current
report of a place ('due' at three quarters of its time-to-live, then 'stale'), so each is
sent once per report. Reports already announced as stale count as reminded.

Revision ID: capacity_0007
Revises: capacity_0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "capacity_0007"
down_revision: str | None = "capacity_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("capacity", sa.Column("reminded_stage", sa.String(length=8)), schema="capacity")
    op.create_check_constraint(
        op.f("ck_capacity_reminded_stage_known"),
        "capacity",
        "reminded_stage IN ('due', 'stale')",
        schema="capacity",
    )
    # Reports already announced as stale are not reminded of it again on the first sweep.
    op.execute("UPDATE capacity.capacity SET reminded_stage = 'stale' WHERE stale_notified")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_capacity_reminded_stage_known"), "capacity", schema="capacity")
    op.drop_column("capacity", "reminded_stage", schema="capacity")
