"""Contacts: a facility's address and admissions phone with a note on how to reach it, and
an organisation's phone. All optional; phones stored in E.164.

Revision ID: capacity_0003
Revises: capacity_0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "capacity_0003"
down_revision: str | None = "capacity_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "facilities", sa.Column("street", sa.String(length=100), nullable=True), schema="capacity"
    )
    op.add_column(
        "facilities",
        sa.Column("house_number", sa.String(length=16), nullable=True),
        schema="capacity",
    )
    op.add_column(
        "facilities", sa.Column("phone", sa.String(length=16), nullable=True), schema="capacity"
    )
    op.add_column(
        "facilities",
        sa.Column("contact_note", sa.String(length=200), nullable=True),
        schema="capacity",
    )
    op.add_column(
        "organisations", sa.Column("phone", sa.String(length=16), nullable=True), schema="capacity"
    )


def downgrade() -> None:
    op.drop_column("organisations", "phone", schema="capacity")
    for column in ("contact_note", "phone", "house_number", "street"):
        op.drop_column("facilities", column, schema="capacity")
