"""Facilities by position: the availability search near a point reads the box around it
from this index before it computes any distance.

Revision ID: capacity_0008
Revises: capacity_0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "capacity_0008"
down_revision: str | None = "capacity_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_facilities_lat_lon", "facilities", ["lat", "lon"], schema="capacity")


def downgrade() -> None:
    op.drop_index("ix_facilities_lat_lon", table_name="facilities", schema="capacity")
