from pydantic import Field

from services.triage.referrals.schemas import ReferralOut


class QueueItem(ReferralOut):
    waiting_seconds: int = Field(description="Since submission.")
    time_left_seconds: int = Field(description="Until `due_at`; negative once it has passed.")
    overdue: bool = Field(description="Whether `due_at` has passed.")
    claimable: bool = Field(description="No triagist has it: take it with `claim`.")
