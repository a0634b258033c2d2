"""The reason code a referral closed with (a cancel's `reason_code`, an advice's
`advice_reason`), for counting unmet demand; filled in for referrals cancelled before, from
their timeline.

Revision ID: triage_0005
Revises: triage_0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0005"
down_revision: str | None = "triage_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "referrals", sa.Column("closed_reason", sa.String(32), nullable=True), schema="triage"
    )
    op.execute(
        """
        UPDATE triage.referrals AS r
           SET closed_reason = e.detail->>'reason_code'
          FROM triage.referral_events AS e
         WHERE e.referral_id = r.id
           AND e.action = 'cancel'
           AND e.detail ? 'reason_code'
           AND r.status = 'cancelled'
        """
    )


def downgrade() -> None:
    op.drop_column("referrals", "closed_reason", schema="triage")
