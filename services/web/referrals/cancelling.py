"""Cancelling a referral from the pages: never in one click. A confirmation page asks for
the reason — a code and a few words, both required — and says what cancelling does; the
referrer and the referral's triagist use the same one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi import Request, Response

from services.web.core.api import Api
from services.web.core.messages import CANCEL_REASONS
from services.web.core.render import render
from shared.bsn import contains_bsn
from shared.contracts.referrals import ReferralOut

MAX_REASON = 500
# The statuses a referral can still be cancelled from (a handed-over one is closed).
CANCELLABLE = ("submitted", "in_triage", "searching", "reserved", "placed")


@dataclass(slots=True)
class CancelForm:
    reason_code: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def parse(reason_code: str, reason: str) -> CancelForm:
    """Both the code and the words are required; the words never hold a BSN."""
    form = CancelForm(reason_code=reason_code, reason=reason.strip())
    if reason_code not in CANCEL_REASONS:
        form.errors["reason_code"] = "Kies waarom de aanmelding vervalt."
    if not form.reason:
        form.errors["reason"] = "Schrijf in een paar woorden waarom; dit komt in de tijdlijn."
    elif len(form.reason) > MAX_REASON:
        form.errors["reason"] = f"Gebruik hoogstens {MAX_REASON} tekens."
    elif contains_bsn(form.reason):
        form.errors["reason"] = "Dit lijkt op een BSN. Vul nooit een BSN of naam in."
    return form


async def cancel(api: Api, referral_id: uuid.UUID, form: CancelForm) -> None:
    await api.cancel(referral_id, form.reason, form.reason_code)


def page(
    request: Request,
    referral: ReferralOut,
    form: CancelForm,
    *,
    action: str,
    back: str,
    status_code: int = 200,
) -> Response:
    """The confirmation page; `action` receives the form, `back` leaves it unchanged."""
    return render(
        request,
        "referrals/cancel.html",
        {
            "title": "Aanmelding annuleren",
            "referral": referral,
            "form": form,
            "reasons": CANCEL_REASONS,
            "action": action,
            "back": back,
            "labels": {"reason_code": "Reden", "reason": "Toelichting"},
        },
        status_code=status_code,
    )
