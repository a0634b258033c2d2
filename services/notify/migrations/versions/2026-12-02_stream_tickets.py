"""Stream tickets: single-use passes that open one live stream without a token in the page.

Revision ID: notify_0002
Revises: notify_0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "notify_0002"
down_revision: str | None = "notify_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stream_tickets",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("org", sa.UUID(), nullable=True),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=255), nullable=True),
        sa.Column("credential_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_stream_tickets")),
        schema="notify",
    )
    op.create_index(
        op.f("ix_notify_stream_tickets_expires_at"),
        "stream_tickets",
        ["expires_at"],
        unique=False,
        schema="notify",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_notify_stream_tickets_expires_at"), table_name="stream_tickets", schema="notify"
    )
    op.drop_table("stream_tickets", schema="notify")
