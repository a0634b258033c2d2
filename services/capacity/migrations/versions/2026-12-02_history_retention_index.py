"""Capacity history by time of receipt, for retention: a BRIN index, small and cheap to keep
on a table that only grows at its end.

Revision ID: capacity_0004
Revises: capacity_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "capacity_0004"
down_revision: str | None = "capacity_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_capacity_reports_received_at",
        "capacity_reports",
        ["received_at"],
        schema="capacity",
        postgresql_using="brin",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_capacity_reports_received_at", table_name="capacity_reports", schema="capacity"
    )
