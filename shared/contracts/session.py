"""Who a token stands for (`/api/v1/session`, answered by every service), and the
development sign-in's demo users and tokens (`/api/v1/demo`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class SessionOut(BaseModel):
    """The person a token stands for, as every service sees them."""

    sub: str
    name: str
    org: uuid.UUID | None
    roles: list[str]
    regions: list[str]
    expires_at: datetime | None


class DemoUserOut(BaseModel):
    sub: str
    name: str
    role: str
    organisation_name: str | None


class DemoUsersOut(BaseModel):
    items: list[DemoUserOut]


class DemoSignInIn(BaseModel):
    sub: str = Field(max_length=64)


class DemoTokenOut(BaseModel):
    token: str
