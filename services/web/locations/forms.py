"""The capacity form of one place type at one location, checked in Dutch before it is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.web.core.api import CapacityBody, ContactBody
from services.web.core.values import whole_number
from shared import phone as phones

FIELDS = {
    "staffed": "Bemand",
    "occupied": "Bezet",
    "available": "Vrij",
    "expected_available_24h": "Verwacht vrij binnen 24 uur",
}
MAX_COUNT = 100_000


@dataclass(slots=True)
class CapacityForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int | None] = field(default_factory=dict)

    def body(self) -> CapacityBody:
        """The report for the API, observed now, kept as typed on the page."""
        return CapacityBody(
            staffed=self.numbers["staffed"],
            occupied=self.numbers["occupied"],
            available=self.numbers["available"],
            expected_available_24h=self.numbers["expected_available_24h"],
            observed_at=datetime.now(UTC).isoformat(),
            source="page",
        )


def _count(text: str, required: bool) -> tuple[int | None, str | None]:
    text = text.strip()
    if not text:
        return None, ("Vul een aantal in." if required else None)
    number = whole_number(text)
    if number is None:
        return None, "Vul een heel getal van 0 of meer in."
    if number > MAX_COUNT:
        return None, "Dit aantal is te groot."
    return number, None


def parse(values: dict[str, str]) -> CapacityForm:
    """Check the numbers: whole, not negative, and bezet + vrij not above bemand."""
    form = CapacityForm(values={k: values.get(k, "") for k in FIELDS})
    for name in FIELDS:
        number, error = _count(form.values[name], required=name != "expected_available_24h")
        form.numbers[name] = number
        if error:
            form.errors[name] = error
    staffed, occupied, available = (
        form.numbers["staffed"],
        form.numbers["occupied"],
        form.numbers["available"],
    )
    if staffed is not None and occupied is not None and available is not None:
        if occupied + available > staffed:
            form.errors["available"] = (
                f"Bezet ({occupied}) plus vrij ({available}) is meer dan bemand ({staffed})."
            )
    return form


CONTACT_FIELDS = {
    "street": "Straat",
    "house_number": "Huisnummer",
    "phone": "Telefoon voor opnames",
    "contact_note": "Bereikbaarheid",
}
CONTACT_LIMITS = {"street": 100, "house_number": 16, "contact_note": 200}
CONTACT_MESSAGES = {
    "street": "Vul de straat in, zonder huisnummer.",
    "house_number": "Vul een huisnummer in zoals 12, 12a of 12-14.",
    "phone": "Vul een Nederlands telefoonnummer in, bijvoorbeeld 023 531 2000 of 06 1234 5678.",
    "contact_note": "Schrijf de bereikbaarheid op één regel.",
}


@dataclass(slots=True)
class ContactForm:
    """How to reach a location, as typed; what the API should store; Dutch messages."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def body(self) -> ContactBody:
        """The change for the API: every contact field, an empty one cleared."""
        cleared = {name: self.values[name].strip() or None for name in CONTACT_FIELDS}
        return ContactBody(
            street=cleared["street"],
            house_number=cleared["house_number"],
            phone=cleared["phone"],
            contact_note=cleared["contact_note"],
        )


def parse_contact(values: dict[str, str]) -> ContactForm:
    """Check what can be checked here; the API checks the rest (house numbers, lines)."""
    form = ContactForm(values={k: values.get(k, "") for k in CONTACT_FIELDS})
    for name, limit in CONTACT_LIMITS.items():
        if len(form.values[name].strip()) > limit:
            form.errors[name] = f"Gebruik hoogstens {limit} tekens."
    number = form.values["phone"].strip()
    if number:
        try:
            phones.normalise(number)
        except ValueError:
            form.errors["phone"] = CONTACT_MESSAGES["phone"]
    return form
