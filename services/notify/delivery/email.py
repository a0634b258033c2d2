"""E-mail notifications: plain Dutch that a GP understands at a glance, with ids to look
the case up in Zorgplek and never anything about the patient."""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiosmtplib

from services.notify.delivery.outcome import Outcome
from shared import reference
from shared.contracts.events import (
    CapacityData,
    CapacityDueData,
    EventData,
    ReferralData,
    ReservationData,
    Where,
    read_data,
)
from shared.settings import Settings

# How a place is called in a sentence ("een WLZ-crisisplaats"); other types use their name.
PLACE_NOUNS = {
    "ELV_LAAG": "ELV-plaats (laagcomplex)",
    "ELV_HOOG": "ELV-plaats (hoogcomplex)",
    "ELV_PALLIATIEF": "palliatieve ELV-plaats",
    "GRZ": "GRZ-plaats (geriatrische revalidatie)",
    "WLZ_CRISIS": "WLZ-crisisplaats",
    "WLZ_LOGEER": "WLZ-logeerplaats",
    "WMO_KORTDUREND": "Wmo-plaats voor kort verblijf",
    "GGZ_CRISIS": "GGZ-crisisbed",
    "JEUGD_CRISIS": "jeugdcrisisbed",
    "OBSERVATIE": "observatiebed",
}
# Decline reasons as triage records them, every one (tests/notify/test_email.py); an unknown
# code is left out rather than shown raw.
REASONS: dict[str, str] = {
    "no_capacity": "er bleek toch geen plaats vrij",
    "no_staff": "onvoldoende personeel",
    "care_too_complex": "de zorg is te complex",
    "features_missing": "de benodigde voorzieningen ontbreken",
    "patient_refused": "de patiënt wil niet naar deze plaats",
    "other": "een andere reden",
}
URGENCY = {
    "acute": "acuut (binnen 2 uur)",
    "urgent": "urgent (binnen 8 uur)",
    "soon": "binnen 24 uur",
    "planned": "gepland",
}


def _zone() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:
        return None


def place_noun(code: object) -> str:
    if not isinstance(code, str):
        return "plaats"
    known = reference.place_types().get(code)
    return PLACE_NOUNS.get(code) or (known.name if known else code)


def region_name(code: object) -> str:
    if not isinstance(code, str):
        return "uw regio"
    known = reference.regions().get(code)
    return f"regio {known.name}" if known else f"regio {code}"


def local_time(timestamp: str) -> str:
    return local_moment(datetime.fromisoformat(timestamp.replace("Z", "+00:00")))


def local_moment(moment: datetime) -> str:
    """A moment as the Netherlands reads it: "22-11-2026 14:05"."""
    zone = _zone()
    if zone is not None:
        return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M")
    return moment.strftime("%d-%m-%Y %H:%M UTC")


def _referral_status(data: EventData | None, whose: str, place: str) -> tuple[str, str]:
    named = data.facility_name if isinstance(data, ReservationData) else None
    facility = named or "de zorgaanbieder"
    at_facility = f" bij {named}" if named else ""
    status = data.status if isinstance(data, ReferralData) else None
    texts = {
        "submitted": ("aanmelding ontvangen", f"{whose} voor een {place} is ontvangen."),
        "in_triage": (
            "aanmelding in behandeling",
            f"{whose} voor een {place} wordt beoordeeld door een triagist van het "
            "regionaal aanmeldpunt.",
        ),
        "searching": (
            "er wordt een plaats gezocht",
            f"Voor {whose.lower()} voor een {place} wordt een passende plaats gezocht.",
        ),
        "reserved": (
            f"plaats gereserveerd bij {facility}",
            f"Voor {whose.lower()} voor een {place} is een plaats gereserveerd bij "
            f"{facility}. De zorgaanbieder beslist nog over de opname.",
        ),
        "placed": (
            f"geplaatst bij {facility}",
            f"{whose} voor een {place} is geplaatst bij {facility}.",
        ),
        "handed_over": (
            "aanmelding overgedragen",
            f"{whose} voor een {place} is overgedragen aan {facility}. "
            "De zorgaanbieder neemt de zorg over.",
        ),
        "advised": (
            "advies gegeven",
            f"De triagist heeft advies gegeven over {whose.lower()} voor een {place}: "
            "een opname is niet nodig. De zorg blijft bij de verwijzer. "
            "Lees het advies in Zorgplek.",
        ),
        "cancelled": (
            "aanmelding geannuleerd",
            f"{whose} voor een {place}{at_facility} is geannuleerd.",
        ),
    }
    return texts.get(
        str(status),
        ("status gewijzigd", f"De status van {whose.lower()} voor een {place} is gewijzigd."),
    )


def _reminder(data: EventData | None, place: str, facility: str) -> tuple[str, str]:
    """`capacity.due`: report again before the numbers go stale, or now that they are."""
    due = data if isinstance(data, CapacityDueData) else None
    when = local_moment(due.stale_at) if due is not None else "binnenkort"
    clock = when.split(" ")[1] if " " in when else when
    if due is not None and due.stage == "stale":
        return f"cijfers verouderd: {place} bij {facility}", (
            f"De beschikbaarheid van {place} bij {facility} is sinds {when} verouderd en telt "
            "niet meer mee als vrij. Meld de cijfers opnieuw op Mijn locaties, of bevestig ze "
            "daar ongewijzigd met één klik."
        )
    return f"meld opnieuw vóór {clock}: {place} bij {facility}", (
        f"De beschikbaarheid van {place} bij {facility} veroudert op {when}. Meld de cijfers "
        "opnieuw vóór dat moment op Mijn locaties, of bevestig ze daar ongewijzigd met één "
        "klik; een gekoppeld systeem kan ze gewoon opnieuw sturen."
    )


def describe(
    event_type: str, data: EventData | None, owner_roles: frozenset[str]
) -> tuple[str, str]:
    """The subject (after "Zorgplek: ") and the main sentence for one event; `data` as
    `shared.contracts.events.read_data` reads it (None: the words without its details)."""
    where = data.where() if data is not None else Where()
    place = place_noun(where.place_type)
    region = region_name(where.region_code)
    named = data.facility_name if isinstance(data, ReservationData | CapacityDueData) else None
    facility = named or "de zorgaanbieder"
    free = str(data.free) if isinstance(data, CapacityData) else "?"
    whose = "Uw aanmelding" if "referrer" in owner_roles else "De aanmelding"
    if event_type == "referral.created":
        urgency = URGENCY.get(data.urgency if isinstance(data, ReferralData) else "", "onbekend")
        if "referrer" in owner_roles:
            return "aanmelding ontvangen", (
                f"Uw aanmelding voor een {place} is ontvangen door het regionaal aanmeldpunt "
                f"({region}). Urgentie: {urgency}."
            )
        return "nieuwe aanmelding", (
            f"Er is een nieuwe aanmelding voor een {place} in {region}. Urgentie: {urgency}."
        )
    if event_type == "referral.status_changed":
        return _referral_status(data, whose, place)
    if event_type == "reservation.held":
        if "provider" in owner_roles:
            return f"reservering wacht op uw antwoord ({facility})", (
                f"Er is een {place} bij {facility} gereserveerd voor een aanmelding. "
                "Accepteer of wijs de opname af in Zorgplek; zonder antwoord verloopt de "
                "reservering."
            )
        return f"plaats gereserveerd bij {facility}", (
            f"Er is een {place} gereserveerd bij {facility}. De zorgaanbieder beslist nog "
            "over de opname."
        )
    if event_type == "reservation.accepted":
        return f"opname geaccepteerd door {facility}", (
            f"{facility} heeft de opname geaccepteerd: de {place} is toegewezen."
        )
    if event_type == "reservation.declined":
        code = data.reason_code if isinstance(data, ReservationData) else None
        reason = REASONS.get(code or "")
        why = f" (reden: {reason})" if reason else ""
        return f"reservering afgewezen door {facility}", (
            f"{facility} heeft de reservering van een {place} afgewezen{why}. "
            "Er wordt verder gezocht naar een plaats."
        )
    if event_type == "reservation.released":
        return f"reservering vrijgegeven ({facility})", (
            f"De reservering van een {place} bij {facility} is vrijgegeven: de plaats is "
            "niet meer gereserveerd. Er wordt verder gezocht naar een plaats."
        )
    if event_type == "reservation.expired":
        return "reservering verlopen", (
            f"De reservering van een {place} bij {facility} is verlopen zonder antwoord van "
            "de zorgaanbieder. Er wordt verder gezocht naar een plaats."
        )
    if event_type == "capacity.available":
        return f"{place} vrijgekomen in {region}", (
            f"Er is een {place} vrijgekomen in {region}: nu {free} vrij. "
            "Zoek in Zorgplek waar, en reserveer of meld aan."
        )
    if event_type == "capacity.due":
        return _reminder(data, place, facility)
    if event_type == "capacity.stale":
        return f"beschikbaarheid verouderd in {region}", (
            f"Een locatie in {region} heeft de beschikbaarheid van {place} te lang niet "
            "bijgewerkt. De cijfers zijn verouderd en worden niet meer getoond."
        )
    return f"beschikbaarheid bijgewerkt in {region}", (
        f"De beschikbaarheid van {place} bij een locatie in {region} is bijgewerkt: {free} vrij."
    )


def _reference(data: EventData | None) -> list[str]:
    lines = []
    if isinstance(data, ReferralData):
        lines.append(f"Kenmerk aanmelding: {data.referral_id}")
    if isinstance(data, ReservationData):
        lines.append(f"Kenmerk reservering: {data.reservation_id}")
    if isinstance(data, CapacityData | CapacityDueData):
        lines.append(f"Kenmerk locatie: {data.facility_id}")
    return lines


def compose(
    settings: Settings,
    *,
    to: str,
    payload: Mapping[str, Any],
    subscription_id: str,
    owner_roles: frozenset[str],
) -> EmailMessage:
    """The message for one event and one subscriber."""
    event_type = str(payload["type"])
    data = read_data(event_type, payload.get("data") or {})
    subject, sentence = describe(event_type, data, owner_roles)
    lines = [
        "Goedendag,",
        "",
        sentence,
        "",
        *_reference(data),
        f"Tijdstip: {local_time(str(payload['timestamp']))}",
        "",
        "Bekijk de details in Zorgplek. Dit bericht bevat bewust geen patiëntgegevens.",
        "",
        "Met vriendelijke groet,",
        "Zorgplek",
        "",
        "--",
        "U ontvangt dit bericht omdat u zich in Zorgplek hebt aangemeld voor meldingen.",
        f"Afmelden: verwijder abonnement {subscription_id} in Zorgplek.",
    ]
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = f"Zorgplek: {subject}"
    message["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    # The same id on every retry, so a mail client can drop a repeat.
    message["Message-ID"] = f"<{payload['id']}.{subscription_id}@zorgplek>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Zorgplek-Event-Id"] = str(payload["id"])
    message["X-Zorgplek-Event-Type"] = str(payload["type"])
    message.set_content("\n".join(lines) + "\n", charset="utf-8")
    return message


async def send(settings: Settings, message: EmailMessage) -> Outcome:
    """One attempt over SMTP; any refusal or failure to connect is a failed attempt. The
    whole attempt has the per-attempt time limit (aiosmtplib's own is per command)."""
    limit = settings.webhook_timeout_seconds
    try:
        async with asyncio.timeout(limit):
            await aiosmtplib.send(
                message, hostname=settings.smtp_host, port=settings.smtp_port, timeout=limit
            )
    except aiosmtplib.SMTPResponseException as exc:
        return Outcome(False, exc.code, f"SMTP {exc.code}: {exc.message}"[:500])
    except TimeoutError:
        return Outcome(False, error=f"no answer within {limit:g} s")
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(True, 250, None)
