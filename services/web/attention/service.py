"""What asks for a person's attention now: for a provider the reservations waiting for an
answer, for a triagist the cases nobody has picked up (new, or handed back) and their own
cases that came back to `searching` (declined, expired or released). The live script
fetches the list when a page opens and whenever a watched event arrives: the count shows
in the navigation and the tab title, and what is new may raise a notification. The page
itself does not wait for it."""

from __future__ import annotations

from dataclasses import dataclass

from services.web.core.api import Api
from services.web.core.messages import URGENCY, place_type_name
from services.web.core.render import when


@dataclass(frozen=True, slots=True)
class Watch:
    """What a page tells the live script for the viewer's role: the navigation item the
    count belongs to, the events that may change it, those worth a notification, and the
    event field that names an item."""

    href: str
    events: str
    alerts: str
    key: str


WATCH = {
    "provider": Watch(
        href="/reserveringen",
        events="reservation.held reservation.accepted reservation.declined "
        "reservation.expired reservation.released referral.status_changed",
        alerts="reservation.held",
        key="reservation_id",
    ),
    "triagist": Watch(
        href="/wachtrij",
        events="referral.created referral.status_changed reservation.held "
        "reservation.accepted reservation.declined reservation.expired reservation.released",
        alerts="reservation.declined reservation.expired",
        key="referral_id",
    ),
}


def watch(role: str) -> Watch | None:
    """The role's watch, or None for a role that nothing waits for."""
    return WATCH.get(role)


async def of(api: Api, role: str, me: str) -> dict[str, str]:
    """What waits for the viewer now: each item's id with a Dutch line about it."""
    if role == "provider":
        return await _reservations(api)
    if role == "triagist":
        return await _cases(api, me)
    return {}


async def _reservations(api: Api) -> dict[str, str]:
    page = await api.reservations(limit=100, status="held")
    return {
        str(r.id): (
            f"{place_type_name(r.place_type)} bij {r.facility_name}: "
            f"antwoord vóór {when(r.expires_at)}"
        )
        for r in sorted(page.items, key=lambda r: r.expires_at)
    }


async def _cases(api: Api, me: str) -> dict[str, str]:
    page = await api.queue(limit=200)
    items: dict[str, str] = {}
    for r in page.items:
        kind = place_type_name(r.place_type)
        urgency = URGENCY.get(r.urgency, r.urgency).split(" (")[0].lower()
        if r.assignee is None:
            items[str(r.id)] = f"Op te pakken: {kind}, {urgency}, uiterlijk {when(r.due_at)}"
        elif r.assignee.id == me and r.status == "searching":
            items[str(r.id)] = f"Zoek een andere plek: {kind}, uiterlijk {when(r.due_at)}"
    return items
