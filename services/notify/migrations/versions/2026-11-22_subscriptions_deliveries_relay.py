"""Subscriptions, deliveries, the relay's cursor and idempotency keys.

Revision ID: notify_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "notify_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_sub", sa.String(length=255), nullable=False),
        sa.Column("owner_name", sa.String(length=255), nullable=False),
        sa.Column("owner_org", sa.UUID(), nullable=True),
        sa.Column("owner_roles", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("owner_regions", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("filter_place_types", postgresql.ARRAY(sa.String(length=32)), nullable=True),
        sa.Column("filter_region", sa.String(length=64), nullable=True),
        sa.Column("filter_lat", sa.Float(), nullable=True),
        sa.Column("filter_lon", sa.Float(), nullable=True),
        sa.Column("filter_radius_km", sa.Float(), nullable=True),
        sa.Column("secret", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disabled_reason", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        schema="notify",
    )
    op.create_index(
        op.f("ix_notify_subscriptions_owner_sub"),
        "subscriptions",
        ["owner_sub"],
        unique=False,
        schema="notify",
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("event_occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.UUID(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["notify.subscriptions.id"],
            name=op.f("fk_deliveries_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("event_id", "subscription_id", name="uq_deliveries_event_subscription"),
        schema="notify",
    )
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        ["next_attempt_at"],
        unique=False,
        schema="notify",
        postgresql_where=sa.text("status IN ('pending', 'failed')"),
    )
    op.create_index(
        "ix_deliveries_subscription_created",
        "deliveries",
        ["subscription_id", "created_at"],
        unique=False,
        schema="notify",
    )
    op.create_index(
        "ix_deliveries_created", "deliveries", ["created_at", "id"], unique=False, schema="notify"
    )
    op.create_index(
        "ix_deliveries_dead",
        "deliveries",
        ["id"],
        unique=False,
        schema="notify",
        postgresql_where=sa.text("status = 'dead'"),
    )
    op.create_table(
        "relay_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("horizon", sa.BigInteger(), nullable=False),
        sa.Column("window_end", sa.BigInteger(), nullable=True),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_relay_cursors")),
        schema="notify",
    )
    # The relay starts at the beginning of the outbox: events written before notify ran
    # have no subscriptions to go to, so reading them costs little and loses nothing.
    op.execute(
        "INSERT INTO notify.relay_cursors (name, horizon, window_end, last_position) "
        "VALUES ('deliveries', 0, NULL, 0)"
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("route", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True
        ),
        sa.PrimaryKeyConstraint("owner", "route", "key", name=op.f("pk_idempotency_keys")),
        schema="notify",
    )
    op.create_index(
        op.f("ix_notify_idempotency_keys_created_at"),
        "idempotency_keys",
        ["created_at"],
        unique=False,
        schema="notify",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_notify_idempotency_keys_created_at"),
        table_name="idempotency_keys",
        schema="notify",
    )
    op.drop_table("idempotency_keys", schema="notify")
    op.drop_table("relay_cursors", schema="notify")
    op.drop_index("ix_deliveries_dead", table_name="deliveries", schema="notify")
    op.drop_index("ix_deliveries_created", table_name="deliveries", schema="notify")
    op.drop_index("ix_deliveries_subscription_created", table_name="deliveries", schema="notify")
    op.drop_index("ix_deliveries_due", table_name="deliveries", schema="notify")
    op.drop_table("deliveries", schema="notify")
    op.drop_index(
        op.f("ix_notify_subscriptions_owner_sub"), table_name="subscriptions", schema="notify"
    )
    op.drop_table("subscriptions", schema="notify")
