"""Registry, capacity, history and holds.

Revision ID: capacity_0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "capacity_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "capacity_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("facility_id", sa.UUID(), nullable=False),
        sa.Column("place_type", sa.String(length=32), nullable=False),
        sa.Column("staffed", sa.Integer(), nullable=False),
        sa.Column("occupied", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("expected_available_24h", sa.Integer(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("reporter", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capacity_reports")),
        schema="capacity",
    )
    op.create_index(
        "ix_capacity_reports_facility_place_observed",
        "capacity_reports",
        ["facility_id", "place_type", "observed_at"],
        unique=False,
        schema="capacity",
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
        schema="capacity",
    )
    op.create_index(
        op.f("ix_capacity_idempotency_keys_created_at"),
        "idempotency_keys",
        ["created_at"],
        unique=False,
        schema="capacity",
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("agb_code", sa.String(length=8), nullable=True),
        sa.Column("ura", sa.String(length=8), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        schema="capacity",
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["capacity.organisations.id"],
            name=op.f("fk_api_keys_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        schema="capacity",
    )
    op.create_index(
        op.f("ix_capacity_api_keys_organisation_id"),
        "api_keys",
        ["organisation_id"],
        unique=False,
        schema="capacity",
    )
    op.create_table(
        "facilities",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organisation_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=7), nullable=False),
        sa.Column("region_code", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("place_types", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("features", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("admission_hours", sa.String(length=8), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["capacity.organisations.id"],
            name=op.f("fk_facilities_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        schema="capacity",
    )
    op.create_index(
        op.f("ix_capacity_facilities_organisation_id"),
        "facilities",
        ["organisation_id"],
        unique=False,
        schema="capacity",
    )
    op.create_index(
        op.f("ix_capacity_facilities_region_code"),
        "facilities",
        ["region_code"],
        unique=False,
        schema="capacity",
    )
    op.create_table(
        "capacity",
        sa.Column("facility_id", sa.UUID(), nullable=False),
        sa.Column("place_type", sa.String(length=32), nullable=False),
        sa.Column("staffed", sa.Integer(), nullable=False),
        sa.Column("occupied", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expected_available_24h", sa.Integer(), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale_notified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "staffed >= 0 AND occupied >= 0 AND available >= 0 AND held >= 0",
            name=op.f("ck_capacity_counts_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["capacity.facilities.id"],
            name=op.f("fk_capacity_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("facility_id", "place_type", name=op.f("pk_capacity")),
        schema="capacity",
    )
    op.create_table(
        "holds",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("facility_id", sa.UUID(), nullable=False),
        sa.Column("place_type", sa.String(length=32), nullable=False),
        sa.Column("referral_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["capacity.facilities.id"],
            name=op.f("fk_holds_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
        schema="capacity",
    )
    op.create_index(
        op.f("ix_capacity_holds_facility_id"),
        "holds",
        ["facility_id"],
        unique=False,
        schema="capacity",
    )
    op.create_index(
        op.f("ix_capacity_holds_referral_id"),
        "holds",
        ["referral_id"],
        unique=False,
        schema="capacity",
    )
    op.create_index(
        "ix_holds_active_expires_at",
        "holds",
        ["expires_at"],
        unique=False,
        schema="capacity",
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_holds_active_expires_at",
        table_name="holds",
        schema="capacity",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(op.f("ix_capacity_holds_referral_id"), table_name="holds", schema="capacity")
    op.drop_index(op.f("ix_capacity_holds_facility_id"), table_name="holds", schema="capacity")
    op.drop_table("holds", schema="capacity")
    op.drop_table("capacity", schema="capacity")
    op.drop_index(
        op.f("ix_capacity_facilities_region_code"), table_name="facilities", schema="capacity"
    )
    op.drop_index(
        op.f("ix_capacity_facilities_organisation_id"), table_name="facilities", schema="capacity"
    )
    op.drop_table("facilities", schema="capacity")
    op.drop_index(
        op.f("ix_capacity_api_keys_organisation_id"), table_name="api_keys", schema="capacity"
    )
    op.drop_table("api_keys", schema="capacity")
    op.drop_table("organisations", schema="capacity")
    op.drop_index(
        op.f("ix_capacity_idempotency_keys_created_at"),
        table_name="idempotency_keys",
        schema="capacity",
    )
    op.drop_table("idempotency_keys", schema="capacity")
    op.drop_index(
        "ix_capacity_reports_facility_place_observed",
        table_name="capacity_reports",
        schema="capacity",
    )
    op.drop_table("capacity_reports", schema="capacity")
