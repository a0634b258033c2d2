"""Dutch words for the API's codes and messages: what a user reads, never raw JSON."""

from __future__ import annotations

import re

from shared import reference

STATUS_MESSAGES = {
    400: "Het verzoek klopt niet. Controleer de gegevens en probeer het opnieuw.",
    401: "Uw sessie is verlopen. Log opnieuw in.",
    403: "U heeft geen toestemming voor deze handeling.",
    404: "Dit is niet gevonden, of het is niet zichtbaar voor uw organisatie.",
    409: "Dit is intussen door iemand anders gewijzigd. Vernieuw de pagina en probeer het opnieuw.",
    413: "Dit is te groot om te versturen.",
    422: "Niet alle gegevens zijn goed ingevuld.",
    429: "Te veel verzoeken tegelijk. Wacht even en probeer het opnieuw.",
    503: "Zorgplek is even niet bereikbaar. Probeer het over een minuut opnieuw.",
}
# What a redirect's `?melding=` says: good news in green, a warning in amber.
NOTICES: dict[str, tuple[str, str]] = {
    "opgeslagen": ("good", "Opgeslagen."),
    "bevestigd": ("good", "Alle cijfers van deze locatie zijn bevestigd."),
    "deels-bevestigd": (
        "warn",
        "Niet alles is bevestigd: een of meer cijfers zijn intussen door iemand anders gemeld. "
        "Kijk ze na en bevestig opnieuw.",
    ),
    "aangemeld": ("good", "De aanmelding is verstuurd. U ziet hier live hoe het ermee staat."),
    "gereserveerd": ("good", "De plek is gereserveerd. De zorgaanbieder beslist over de opname."),
    "opgepakt": ("good", "U heeft deze aanmelding opgepakt."),
    "advies": ("good", "Het advies is vastgelegd; de verwijzer houdt de zorg."),
    "overgedragen": ("good", "De aanmelding is overgedragen."),
    "geannuleerd": ("good", "De aanmelding is geannuleerd."),
    "geaccepteerd": ("good", "De reservering is geaccepteerd; de patiënt is geplaatst."),
    "afgewezen": ("good", "De reservering is afgewezen; het RAP zoekt verder."),
    "uitgelogd": ("good", "U bent uitgelogd."),
    "vrijgegeven": ("good", "De reservering is vrijgegeven. Kies een andere plek."),
    "teruggegeven": (
        "good",
        "De aanmelding staat weer in de wachtrij; een collega kan haar oppakken.",
    ),
    "toegewezen": ("good", "De aanmelding is aan uw collega toegewezen."),
    "verlopen": (
        "warn",
        "Deze reservering is intussen verlopen of ingetrokken; er is niets gewijzigd.",
    ),
    "plek-bezet": ("warn", "Deze plek is net niet meer vrij. Kies een andere plek uit de lijst."),
    "advies-leeg": ("warn", "Schrijf eerst het advies op; er is niets vastgelegd."),
    "kies-collega": ("warn", "Kies eerst een collega; er is niets gewijzigd."),
    "plek-regels": (
        "warn",
        "De zorgregels laten deze plek niet toe voor deze patiënt; de reden staat bij de plek. "
        "Er is niets gereserveerd.",
    ),
    "plek-weg": (
        "warn",
        "Deze plek was net niet meer vrij. Uw aanmelding staat in de wachtrij van het RAP.",
    ),
}
SERVER_ERROR = "Er ging iets mis bij Zorgplek. Probeer het over een minuut opnieuw."

# Known API messages (English, for developers) and what a user reads instead.
FIELD_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"bsn|elfproef|social security", re.I),
        "Dit lijkt op een BSN. Vul nooit een BSN of naam in.",
    ),
    (re.compile(r"field required|missing", re.I), "Dit veld is verplicht."),
    (
        re.compile(r"must not exceed staffed", re.I),
        "Bezet plus vrij mag niet meer zijn dan bemand.",
    ),
    (re.compile(r"greater than or equal to 0", re.I), "Vul een getal van 0 of meer in."),
    (re.compile(r"valid integer", re.I), "Vul een heel getal in."),
    (re.compile(r"in the future", re.I), "Dit tijdstip ligt in de toekomst."),
    (re.compile(r"postcode", re.I), "Vul de vier cijfers van de postcode in, bijvoorbeeld 2032."),
    (re.compile(r"at most \d+ characters|too long", re.I), "Deze tekst is te lang."),
    (re.compile(r"birth|year", re.I), "Vul een geldig geboortejaar in."),
    (re.compile(r"unknown (feature|place type|region)", re.I), "Deze keuze is niet bekend."),
]

REFERRAL_STATUS = {
    "submitted": "aangemeld",
    "in_triage": "in triage",
    "searching": "zoekt plek",
    "reserved": "gereserveerd",
    "placed": "geplaatst",
    "handed_over": "overgedragen",
    "advised": "advies gegeven",
    "cancelled": "geannuleerd",
}
RESERVATION_STATUS = {
    "held": "wacht op antwoord",
    "accepted": "geaccepteerd",
    "declined": "afgewezen",
    "expired": "verlopen",
    "cancelled": "geannuleerd",
    "released": "vrijgegeven",
}
URGENCY = {
    "acute": "Acuut (binnen 2 uur)",
    "urgent": "Dringend (binnen 8 uur)",
    "soon": "Spoedig (binnen 24 uur)",
    "planned": "Gepland (op datum)",
}
SEX = {"female": "vrouw", "male": "man", "other": "anders", "unknown": "onbekend"}
ADMISSION_HOURS = {"24/7": "dag en nacht", "office": "alleen kantoortijden"}
ROLE = {
    "referrer": "Verwijzer",
    "triagist": "Triagist",
    "provider": "Zorgaanbieder",
    "viewer": "Coördinator",
    "admin": "Beheerder",
}
CANCEL_REASONS = {
    "no_place_found": "Geen plek gevonden",
    "patient_deceased": "Patiënt overleden",
    "placed_elsewhere": "Elders opgenomen",
    "other": "Andere reden",
}
DECLINE_REASONS = {
    "no_capacity": "Toch geen plek",
    "no_staff": "Onvoldoende personeel",
    "care_too_complex": "Zorg te complex voor deze locatie",
    "features_missing": "Nodige voorzieningen ontbreken",
    "patient_refused": "Patiënt wil niet",
    "other": "Andere reden",
}
ACTIONS = {
    "create": "aangemeld",
    "claim": "opgepakt",
    "assign": "toegewezen",
    "unassign": "teruggegeven aan de wachtrij",
    "release": "reservering vrijgegeven",
    "advise": "advies gegeven",
    "search": "zoekt plek",
    "reserve": "plek gereserveerd",
    "accept": "reservering geaccepteerd: geplaatst",
    "decline": "reservering afgewezen",
    "expire": "reservering verlopen",
    "escalate": "bovenregionaal gezocht",
    "handover": "overgedragen",
    "cancel": "geannuleerd",
}


def status_message(status: int, detail: str = "") -> str:
    """A Dutch sentence for an HTTP status."""
    if status >= 500 and status != 503:
        return SERVER_ERROR
    return STATUS_MESSAGES.get(status, SERVER_ERROR if status >= 500 else STATUS_MESSAGES[400])


def field_message(msg: str) -> str:
    """A Dutch message for a field error of the API."""
    for pattern, dutch in FIELD_PATTERNS:
        if pattern.search(msg):
            return dutch
    return "Deze waarde is niet geldig."


def place_type_name(code: str) -> str:
    place_type = reference.place_types().get(code)
    return place_type.name if place_type else code


def feature_name(code: str) -> str:
    return reference.features().get(code, code)


def region_name(code: str) -> str:
    region = reference.regions().get(code)
    return region.name if region else code


def action_label(action: str | None, to_status: str | None) -> str:
    """A timeline line in Dutch: the action when known, else the new status."""
    if action and action in ACTIONS:
        return ACTIONS[action]
    if to_status and to_status in REFERRAL_STATUS:
        return REFERRAL_STATUS[to_status]
    return (action or to_status or "").replace("_", " ")
