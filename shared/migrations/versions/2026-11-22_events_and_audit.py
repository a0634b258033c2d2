"""The event outbox and the audit log.

Revision ID: kernel_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "kernel_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("position", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        sa.Column("audience", postgresql.JSONB(), nullable=False),
        sa.Column(
            "txid", sa.BigInteger(), server_default=sa.text("txid_current()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("position", name="pk_outbox"),
        sa.UniqueConstraint("id", name="uq_outbox_id"),
        schema="events",
    )
    op.create_index("ix_outbox_occurred_at", "outbox", ["occurred_at"], schema="events")
    op.execute(
        """
        CREATE FUNCTION events.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('zorgplek_outbox', NEW.position::text);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER outbox_notify AFTER INSERT ON events.outbox
            FOR EACH ROW EXECUTE FUNCTION events.notify_outbox();
        """
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("actor_name", sa.String(255), nullable=False),
        sa.Column("on_behalf_of", sa.String(255)),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("organisation_id", postgresql.UUID(as_uuid=True)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=False),
        sa.Column("object_id", sa.String(64)),
        sa.Column("source_address", sa.String(64)),
        sa.Column("request_id", sa.String(64)),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        schema="audit",
    )
    op.create_index(
        "ix_audit_log_object", "audit_log", ["object_type", "object_id", "at"], schema="audit"
    )
    op.execute(
        """
        CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only';
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit.audit_log
            FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit.audit_log")
    op.execute("DROP FUNCTION audit.refuse_change()")
    op.drop_table("audit_log", schema="audit")
    op.execute("DROP TRIGGER outbox_notify ON events.outbox")
    op.execute("DROP FUNCTION events.notify_outbox()")
    op.drop_table("outbox", schema="events")
