"""The referral form (Aanmelden), checked in Dutch beside each field before it is sent.
It asks only what matching needs: never a name or a BSN."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from services.web.core.api import PatientBody, PointBody, ReferralBody
from services.web.core.values import whole_number
from shared import reference
from shared.bsn import contains_bsn

URGENCIES = ("acute", "urgent", "soon", "planned")
SEXES = ("female", "male", "other", "unknown")
MAX_NOTES = 1000
MAX_REFERENCE = 30
LABELS = {
    "place_type": "Soort plek",
    "urgency": "Urgentie",
    "planned_date": "Gewenste datum",
    "birth_year": "Geboortejaar",
    "sex": "Geslacht",
    "postcode": "Postcode",
    "region_code": "Regio",
    "needs": "Nodige kenmerken",
    "notes": "Toelichting",
    "reference": "Eigen referentie",
    "": "Aanmelding",
}


@dataclass(slots=True)
class ReferralForm:
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def body(self, practice: tuple[float, float] | None) -> ReferralBody:
        """The referral for the API."""
        v = self.values
        body = ReferralBody(
            place_type=v["place_type"],
            urgency=v["urgency"],
            patient=PatientBody(
                birth_year=int(v["birth_year"]), sex=v["sex"], postcode=v["postcode"]
            ),
            needs=v["needs"],
            region_code=v["region_code"],
        )
        if v["urgency"] == "planned":
            body["planned_date"] = v["planned_date"]
        if v["notes"]:
            body["notes"] = v["notes"]
        if v["reference"]:
            body["reference"] = v["reference"]
        if practice is not None:
            body["near"] = PointBody(lat=practice[0], lon=practice[1])
        if v["facility_id"]:
            body["preferred_facility_ids"] = [v["facility_id"]]
        return body


def blank(place_type: str = "", facility_id: str = "", region_code: str = "") -> ReferralForm:
    return ReferralForm(
        values={
            "place_type": place_type if place_type in reference.place_types() else "",
            "urgency": "",
            "planned_date": "",
            "birth_year": "",
            "sex": "",
            "postcode": "",
            "region_code": region_code,
            "needs": [],
            "notes": "",
            "reference": "",
            "facility_id": facility_id,
            "key": str(uuid.uuid4()),
        }
    )


def parse(data: dict[str, Any], needs: list[str]) -> ReferralForm:
    """Read and check the submitted form."""
    text = {k: str(data.get(k) or "").strip() for k in LABELS if k and k != "needs"}
    facility_id = str(data.get("facility_id") or "").strip()
    key = str(data.get("key") or "").strip()[:100] or str(uuid.uuid4())
    form = ReferralForm(values={**text, "needs": needs, "facility_id": facility_id, "key": key})
    errors = form.errors
    if text["place_type"] not in reference.place_types():
        errors["place_type"] = "Kies de soort plek."
    if text["urgency"] not in URGENCIES:
        errors["urgency"] = "Kies hoe dringend de opname is."
    elif text["urgency"] == "planned":
        try:
            planned = date.fromisoformat(text["planned_date"])
        except ValueError:
            errors["planned_date"] = "Vul bij een geplande opname de datum in (dd-mm-jjjj)."
        else:
            if planned < datetime.now(UTC).date():
                errors["planned_date"] = "Deze datum ligt in het verleden."
    this_year = datetime.now(UTC).year
    birth_year = whole_number(text["birth_year"])
    if birth_year is None or not 1900 <= birth_year <= this_year:
        errors["birth_year"] = (
            f"Vul een geboortejaar in tussen 1900 en {this_year}, bijvoorbeeld 1941."
        )
    if text["sex"] not in SEXES:
        errors["sex"] = "Kies het geslacht (of ‘onbekend’)."
    if not re.fullmatch(r"[1-9]\d{3}", text["postcode"]):
        errors["postcode"] = "Vul alleen de vier cijfers van de postcode in, bijvoorbeeld 2032."
    if text["region_code"] not in reference.regions():
        errors["region_code"] = "Kies de regio waarin een plek wordt gezocht."
    if any(n not in reference.features() for n in needs):
        errors["needs"] = "Kies kenmerken uit de lijst."
    if len(text["notes"]) > MAX_NOTES:
        errors["notes"] = f"Gebruik hoogstens {MAX_NOTES} tekens (nu {len(text['notes'])})."
    elif contains_bsn(text["notes"]):
        errors["notes"] = "Dit lijkt op een BSN. Vul nooit een BSN of naam in; haal het nummer weg."
    if len(text["reference"]) > MAX_REFERENCE:
        errors["reference"] = f"Gebruik hoogstens {MAX_REFERENCE} tekens."
    elif contains_bsn(text["reference"]):
        errors["reference"] = "Dit lijkt op een BSN. Gebruik uw eigen nummer, nooit een BSN."
    if facility_id:
        try:
            uuid.UUID(facility_id)
        except ValueError:
            form.values["facility_id"] = ""
    return form
