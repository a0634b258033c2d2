"""Index the outbox by writing transaction, for readers that take windows of txids.

Revision ID: kernel_0002
Revises: kernel_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "kernel_0002"
down_revision: str | None = "kernel_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_txid", "outbox", ["txid"], schema="events")


def downgrade() -> None:
    op.drop_index("ix_outbox_txid", table_name="outbox", schema="events")
