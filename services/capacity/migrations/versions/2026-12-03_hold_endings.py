"""Why a hold ended: the reservation's outcome and the provider's decline reason, kept with
the hold for the location's track record; an index for reading a location's recent holds.

Revision ID: capacity_0006
Revises: capacity_0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "capacity_0006"
down_revision: str | None = "capacity_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("holds", sa.Column("ending", sa.String(16), nullable=True), schema="capacity")
    op.add_column(
        "holds", sa.Column("reason_code", sa.String(32), nullable=True), schema="capacity"
    )
    op.create_index(
        "ix_holds_facility_created_at",
        "holds",
        ["facility_id", "created_at"],
        schema="capacity",
    )


def downgrade() -> None:
    op.drop_index("ix_holds_facility_created_at", table_name="holds", schema="capacity")
    op.drop_column("holds", "reason_code", schema="capacity")
    op.drop_column("holds", "ending", schema="capacity")
