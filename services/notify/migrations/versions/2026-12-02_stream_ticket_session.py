"""A stream ticket remembers the sign-in it was asked for, so signing out ends its stream.

Revision ID: notify_0003
Revises: notify_0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notify_0003"
down_revision: str | None = "notify_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "stream_tickets",
        sa.Column("session", sa.String(length=32), nullable=True),
        schema="notify",
    )


def downgrade() -> None:
    op.drop_column("stream_tickets", "session", schema="notify")
