"""The notify schema's declarative base and its idempotency table."""

from sqlalchemy.orm import DeclarativeBase

from shared import retention
from shared.db import metadata_for
from shared.idempotency import idempotency_dependency, idempotency_table
from shared.migrate import MigrationSet

SCHEMA = "notify"


class Base(DeclarativeBase):
    metadata = metadata_for(SCHEMA)


idempotency_keys = idempotency_table(Base.metadata)
Idempotency = idempotency_dependency(idempotency_keys)
# Keys are kept as long as a retry may still come (shared/retention.py).
KEYS_RETENTION = retention.idempotency_keys("notify.idempotency_keys", idempotency_keys)

MIGRATIONS = MigrationSet(
    name=SCHEMA,
    package="services.notify",
    schemas=(SCHEMA,),
    metadata=Base.metadata,
    # The relay reads every event; retention drops those past it.
    kernel_rights=("SELECT, DELETE ON events.outbox",),
)
