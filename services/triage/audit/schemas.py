import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryOut(BaseModel):
    """One entry of the audit trail (NEN 7513): who, on whose behalf, in which sign-in,
    did what to which record, when, from where, and with what outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str = Field(description="The `sub` of the person or system that acted.")
    actor_name: str
    on_behalf_of: str | None
    role: str = Field(description="The actor's roles, comma separated.")
    organisation_id: uuid.UUID | None
    action: str = Field(description="e.g. read, list, create, claim, hold, sign_in, revoke.")
    object_type: str = Field(description="referral, api_key, subscription, session, ...")
    object_id: str | None
    source_address: str | None = Field(description="The client's address.")
    request_id: str | None
    session_id: str | None
    outcome: str = Field(description="success, denied, not_found, refused or error.")
