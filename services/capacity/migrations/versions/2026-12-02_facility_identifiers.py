"""Facility identifiers: the codes other systems know a location by.

Revision ID: capacity_0002
Revises: capacity_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "capacity_0002"
down_revision: str | None = "capacity_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility_identifiers",
        sa.Column("system", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("facility_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["capacity.facilities.id"],
            name=op.f("fk_facility_identifiers_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("system", "value", name=op.f("pk_facility_identifiers")),
        schema="capacity",
    )
    op.create_index(
        op.f("ix_capacity_facility_identifiers_facility_id"),
        "facility_identifiers",
        ["facility_id"],
        unique=False,
        schema="capacity",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_capacity_facility_identifiers_facility_id"),
        table_name="facility_identifiers",
        schema="capacity",
    )
    op.drop_table("facility_identifiers", schema="capacity")
