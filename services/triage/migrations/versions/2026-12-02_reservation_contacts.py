"""Contacts on a reservation: how to reach the location (its address and admissions
phone, as they were when the place was reserved), and the organisation that reserved it
with its phone, for the provider to call back.

Revision ID: triage_0003
Revises: triage_0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "triage_0003"
down_revision: str | None = "triage_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reservations",
        sa.Column("facility_contact", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="triage",
    )
    op.add_column(
        "reservations",
        sa.Column("reserved_by", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="triage",
    )


def downgrade() -> None:
    op.drop_column("reservations", "reserved_by", schema="triage")
    op.drop_column("reservations", "facility_contact", schema="triage")
