"""Referrals, their timeline and reservations.

Revision ID: triage_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "triage_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
        schema="triage",
    )
    op.create_index(
        op.f("ix_triage_idempotency_keys_created_at"),
        "idempotency_keys",
        ["created_at"],
        unique=False,
        schema="triage",
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("place_type", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("patient_birth_year", sa.Integer(), nullable=False),
        sa.Column("patient_sex", sa.String(length=8), nullable=False),
        sa.Column("patient_postcode", sa.String(length=4), nullable=False),
        sa.Column("needs", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("near_lat", sa.Float(), nullable=True),
        sa.Column("near_lon", sa.Float(), nullable=True),
        sa.Column("preferred_facility_ids", postgresql.ARRAY(sa.UUID()), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_by_name", sa.String(length=255), nullable=False),
        sa.Column("assignee", sa.String(length=255), nullable=True),
        sa.Column("assignee_name", sa.String(length=255), nullable=True),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        schema="triage",
    )
    op.create_index(
        "ix_referrals_open_due_at",
        "referrals",
        ["due_at"],
        unique=False,
        schema="triage",
        postgresql_where=sa.text("status IN ('submitted', 'in_triage', 'searching', 'reserved')"),
    )
    op.create_index(
        op.f("ix_triage_referrals_organisation_id"),
        "referrals",
        ["organisation_id"],
        unique=False,
        schema="triage",
    )
    op.create_index(
        op.f("ix_triage_referrals_region_code"),
        "referrals",
        ["region_code"],
        unique=False,
        schema="triage",
    )
    op.create_table(
        "referral_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_name", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["triage.referrals.id"],
            name=op.f("fk_referral_events_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_events")),
        schema="triage",
    )
    op.create_index(
        op.f("ix_triage_referral_events_referral_id"),
        "referral_events",
        ["referral_id"],
        unique=False,
        schema="triage",
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("hold_id", sa.UUID(), nullable=False),
        sa.Column("facility_id", sa.UUID(), nullable=False),
        sa.Column("facility_name", sa.String(length=200), nullable=False),
        sa.Column("facility_organisation_id", sa.UUID(), nullable=False),
        sa.Column("facility_region_code", sa.String(length=64), nullable=False),
        sa.Column("own_region", sa.Boolean(), nullable=False),
        sa.Column("place_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_by_name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["triage.referrals.id"],
            name=op.f("fk_reservations_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        schema="triage",
    )
    op.create_index(
        "ix_reservations_held_expires_at",
        "reservations",
        ["expires_at"],
        unique=False,
        schema="triage",
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_index(
        op.f("ix_triage_reservations_facility_id"),
        "reservations",
        ["facility_id"],
        unique=False,
        schema="triage",
    )
    op.create_index(
        op.f("ix_triage_reservations_facility_organisation_id"),
        "reservations",
        ["facility_organisation_id"],
        unique=False,
        schema="triage",
    )
    op.create_index(
        op.f("ix_triage_reservations_referral_id"),
        "reservations",
        ["referral_id"],
        unique=False,
        schema="triage",
    )
    op.create_index(
        "uq_reservations_live_referral_id",
        "reservations",
        ["referral_id"],
        unique=True,
        schema="triage",
        postgresql_where=sa.text("status IN ('held', 'accepted')"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_reservations_live_referral_id",
        table_name="reservations",
        schema="triage",
        postgresql_where=sa.text("status IN ('held', 'accepted')"),
    )
    op.drop_index(
        op.f("ix_triage_reservations_referral_id"), table_name="reservations", schema="triage"
    )
    op.drop_index(
        op.f("ix_triage_reservations_facility_organisation_id"),
        table_name="reservations",
        schema="triage",
    )
    op.drop_index(
        op.f("ix_triage_reservations_facility_id"), table_name="reservations", schema="triage"
    )
    op.drop_index(
        "ix_reservations_held_expires_at",
        table_name="reservations",
        schema="triage",
        postgresql_where=sa.text("status = 'held'"),
    )
    op.drop_table("reservations", schema="triage")
    op.drop_index(
        op.f("ix_triage_referral_events_referral_id"), table_name="referral_events", schema="triage"
    )
    op.drop_table("referral_events", schema="triage")
    op.drop_index(op.f("ix_triage_referrals_region_code"), table_name="referrals", schema="triage")
    op.drop_index(
        op.f("ix_triage_referrals_organisation_id"), table_name="referrals", schema="triage"
    )
    op.drop_index(
        "ix_referrals_open_due_at",
        table_name="referrals",
        schema="triage",
        postgresql_where=sa.text("status IN ('submitted', 'in_triage', 'searching', 'reserved')"),
    )
    op.drop_table("referrals", schema="triage")
    op.drop_index(
        op.f("ix_triage_idempotency_keys_created_at"),
        table_name="idempotency_keys",
        schema="triage",
    )
    op.drop_table("idempotency_keys", schema="triage")
