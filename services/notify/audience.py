"""Who may see an event, and whether it matches what someone asked for.

The same rule serves webhooks, e-mail and the live stream: an event's `audience` (written
by its producer into the outbox) says who may see it, a viewer's identity says who they
are, and a filter narrows what they want. Both are read as the event contracts' models
(`shared.contracts.events`), the same ones the producers write."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from shared import reference
from shared.auth import PROFESSIONAL_ROLES, Principal
from shared.contracts.events import Audience, EventData, PublicAudience, Where
from shared.errors import Forbidden
from shared.geo import distance_km

# What an API key needs to receive events at all: on the live stream, and through the
# subscriptions it makes.
EVENTS_SCOPE = "events:read"


def ensure_may_read_events(principal: Principal) -> None:
    """Tokens carry a person's rights; an API key receives events only with `events:read`."""
    if not principal.allows(EVENTS_SCOPE):
        raise Forbidden(f"This API key lacks the scope '{EVENTS_SCOPE}'.")


@dataclass(frozen=True, slots=True)
class Viewer:
    """Someone events are shown to: a live caller, or the owner of a subscription as they
    were when they subscribed."""

    sub: str
    org: uuid.UUID | None
    roles: frozenset[str]
    regions: tuple[str, ...]

    @classmethod
    def of(cls, principal: Principal) -> Viewer:
        return cls(principal.sub, principal.org, principal.roles, principal.regions)


def may_see(viewer: Viewer, audience: Audience) -> bool:
    """The rule of docs/api.md#who-sees-which-event: a public audience (capacity events)
    is every professional; otherwise members of a listed organisation, and triagists
    whose regions cover a listed region."""
    if viewer.roles.isdisjoint(PROFESSIONAL_ROLES):
        return False
    if isinstance(audience, PublicAudience):
        return True
    if viewer.org is not None and viewer.org in audience.organisation_ids:
        return True
    if "triagist" in viewer.roles and viewer.regions:
        return any(reference.covers(viewer.regions, region) for region in audience.regions)
    return False


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What a subscriber or stream asked for. Each part narrows only events that carry the
    field it looks at: a place-type filter passes an event without a place type."""

    event_types: frozenset[str] | None = None
    place_types: frozenset[str] | None = None
    region: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None

    def matches(self, event_type: str, data: EventData | None) -> bool:
        """Whether the event passes every part asked for. `data` None: the event carries
        nothing a filter looks at (`shared.contracts.events.read_data`)."""
        if self.event_types is not None and event_type not in self.event_types:
            return False
        where = data.where() if data is not None else Where()
        if self.place_types is not None and where.place_type is not None:
            if where.place_type not in self.place_types:
                return False
        if self.region is not None and where.region_code is not None:
            if where.region_code not in reference.covered_regions(self.region):
                return False
        if self.near is not None and self.radius_km is not None and where.point is not None:
            if distance_km(self.near, where.point) > self.radius_km:
                return False
        return True


def types_or_none(values: Collection[str] | None) -> frozenset[str] | None:
    return frozenset(values) if values else None
