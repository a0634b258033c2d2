"""Every table of the notify schema, imported together for migrations."""

from services.notify.base import Base, idempotency_keys
from services.notify.delivery.models import Delivery
from services.notify.relay.models import RelayCursor
from services.notify.stream.models import StreamTicket
from services.notify.subscriptions.models import Subscription

__all__ = [
    "Base",
    "Delivery",
    "RelayCursor",
    "StreamTicket",
    "Subscription",
    "idempotency_keys",
]
