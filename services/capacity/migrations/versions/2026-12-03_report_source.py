"""Where each capacity report came from — the page, the JSON API, a CSV upload, FHIR or a
confirmation — and the name of who sent it, on every report and on the current numbers.
Reports received before are left without a source: it is not known.

Revision ID: capacity_0005
Revises: capacity_0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "capacity_0005"
down_revision: str | None = "capacity_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE_CHECK = "source IN ('page', 'api', 'csv', 'fhir', 'confirm')"


def upgrade() -> None:
    for table in ("capacity", "capacity_reports"):
        op.add_column(table, sa.Column("source", sa.String(length=16)), schema="capacity")
        op.add_column(table, sa.Column("reported_by", sa.String(length=255)), schema="capacity")
        op.create_check_constraint(
            op.f(f"ck_{table}_source_known"), table, SOURCE_CHECK, schema="capacity"
        )


def downgrade() -> None:
    for table in ("capacity_reports", "capacity"):
        op.drop_constraint(op.f(f"ck_{table}_source_known"), table, schema="capacity")
        op.drop_column(table, "reported_by", schema="capacity")
        op.drop_column(table, "source", schema="capacity")
