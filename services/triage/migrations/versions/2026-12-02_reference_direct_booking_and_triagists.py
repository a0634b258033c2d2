"""A referral's own case number, whether a reservation was booked directly by the
referrer, and the triagists Zorgplek has seen (to hand a case to a colleague).

Revision ID: triage_0002
Revises: triage_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "triage_0002"
down_revision: str | None = "triage_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "referrals", sa.Column("reference", sa.String(length=30), nullable=True), schema="triage"
    )
    op.create_index(
        op.f("ix_triage_referrals_reference"),
        "referrals",
        ["reference"],
        unique=False,
        schema="triage",
    )
    op.add_column(
        "reservations",
        sa.Column("direct_booking", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="triage",
    )
    op.create_table(
        "triagists",
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sub", name=op.f("pk_triagists")),
        schema="triage",
    )


def downgrade() -> None:
    op.drop_table("triagists", schema="triage")
    op.drop_column("reservations", "direct_booking", schema="triage")
    op.drop_index(op.f("ix_triage_referrals_reference"), table_name="referrals", schema="triage")
    op.drop_column("referrals", "reference", schema="triage")
