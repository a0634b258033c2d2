"""Ended sessions: tokens refused after signing out; the session of each audit entry.

Revision ID: kernel_0003
Revises: kernel_0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "kernel_0003"
down_revision: str | None = "kernel_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ended_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "ended_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_ended_tokens")),
        schema="access",
    )
    op.create_index(
        "ix_ended_tokens_expires_at",
        "ended_tokens",
        ["expires_at"],
        schema="access",
    )
    op.add_column(
        "audit_log", sa.Column("session_id", sa.String(length=32), nullable=True), schema="audit"
    )


def downgrade() -> None:
    op.drop_column("audit_log", "session_id", schema="audit")
    op.drop_index("ix_ended_tokens_expires_at", table_name="ended_tokens", schema="access")
    op.drop_table("ended_tokens", schema="access")
