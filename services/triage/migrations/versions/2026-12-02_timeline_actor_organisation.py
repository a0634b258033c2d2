"""The timeline records whose person acted and in what role, so names and free text are
shown only to that organisation and the RAP. Entries written before are attributed where
the data tells: the referral's creation to its referring organisation, a provider's answer
to the organisation of the reserved location, Zorgplek's own steps to no one.

Revision ID: triage_0004
Revises: triage_0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "triage_0004"
down_revision: str | None = "triage_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "referral_events",
        sa.Column("actor_organisation_id", postgresql.UUID(as_uuid=True), nullable=True),
        schema="triage",
    )
    op.add_column(
        "referral_events",
        sa.Column("actor_role", sa.String(16), nullable=False, server_default="system"),
        schema="triage",
    )
    op.execute(
        "UPDATE triage.referral_events e SET actor_organisation_id = r.organisation_id, "
        "actor_role = 'referrer' FROM triage.referrals r "
        "WHERE e.referral_id = r.id AND e.action = 'create'"
    )
    op.execute(
        "UPDATE triage.referral_events e SET actor_organisation_id = v.facility_organisation_id, "
        "actor_role = 'provider' FROM triage.reservations v "
        "WHERE e.action IN ('accept', 'decline') AND e.detail ->> 'reservation_id' = v.id::text"
    )
    op.execute(
        "UPDATE triage.referral_events SET actor_role = 'triagist' "
        "WHERE actor_role = 'system' AND actor NOT LIKE 'system:%'"
    )


def downgrade() -> None:
    op.drop_column("referral_events", "actor_role", schema="triage")
    op.drop_column("referral_events", "actor_organisation_id", schema="triage")
