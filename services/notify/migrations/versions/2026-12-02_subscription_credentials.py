"""Subscriptions bound to their credential: the API key that made one, when the kept
claims were issued, an expiry; each delivery keeps who may see its event.

Revision ID: notify_0004
Revises: notify_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "notify_0004"
down_revision: str | None = "notify_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("owner_claims_issued_at", sa.DateTime(timezone=True), nullable=True),
        schema="notify",
    )
    op.add_column(
        "subscriptions", sa.Column("api_key_id", sa.UUID(), nullable=True), schema="notify"
    )
    op.add_column(
        "subscriptions",
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        schema="notify",
    )
    op.add_column(
        "subscriptions",
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=True),
        schema="notify",
    )
    # Subscriptions made before: the key is known from the owner, and each runs the
    # default 180 days from when it was made.
    op.execute(
        "UPDATE notify.subscriptions SET expires_at = created_at + interval '180 days',"
        " api_key_id = CASE WHEN owner_sub ~ '^apikey:[0-9a-f-]{36}$'"
        " THEN substr(owner_sub, 8)::uuid END"
    )
    op.alter_column("subscriptions", "expires_at", nullable=False, schema="notify")
    op.create_index(
        "ix_subscriptions_owner_org",
        "subscriptions",
        ["owner_org", "created_at", "id"],
        unique=False,
        schema="notify",
    )
    op.add_column(
        "deliveries",
        sa.Column("audience", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="notify",
    )
    # Open deliveries learn their event's audience; one whose event is gone is seen by
    # no one (an empty audience), so it is never sent without a check.
    op.execute(
        "UPDATE notify.deliveries AS d SET audience = o.audience"
        " FROM events.outbox AS o WHERE o.id = d.event_id"
    )
    op.execute("UPDATE notify.deliveries SET audience = '{}' WHERE audience IS NULL")
    op.alter_column("deliveries", "audience", nullable=False, schema="notify")


def downgrade() -> None:
    op.drop_column("deliveries", "audience", schema="notify")
    op.drop_index("ix_subscriptions_owner_org", table_name="subscriptions", schema="notify")
    op.drop_column("subscriptions", "renewed_at", schema="notify")
    op.drop_column("subscriptions", "expires_at", schema="notify")
    op.drop_column("subscriptions", "api_key_id", schema="notify")
    op.drop_column("subscriptions", "owner_claims_issued_at", schema="notify")
