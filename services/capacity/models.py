"""Every table of the capacity schema, imported together for migrations."""

from services.capacity.base import Base, idempotency_keys
from services.capacity.capacity.models import CapacityReport, CapacityState
from services.capacity.facilities.models import Facility, FacilityIdentifier
from services.capacity.holds.models import Hold
from services.capacity.organisations.models import ApiKey, Organisation

__all__ = [
    "ApiKey",
    "Base",
    "CapacityReport",
    "CapacityState",
    "Facility",
    "FacilityIdentifier",
    "Hold",
    "Organisation",
    "idempotency_keys",
]
