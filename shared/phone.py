"""Dutch phone numbers: read as people write them ("023-531 2000", "+31 (0)6 12345678",
"0031 6 1234 5678"), stored in E.164 ("+31235312000"), and shown as people in the
Netherlands write them ("023 531 2000", "06 1234 5678"). The one place every service and
the pages parse, check and format a phone number."""

from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from shared.schemas import blank_is_none

MAX_LENGTH = 32
# What people put in a number: digits, a leading +, and separators. Never letters ("0800-ZORG"
# is dialled differently on every keypad) nor an extension.
_WRITTEN = re.compile(r"^\+?[0-9 ()./-]+$")
EXAMPLE = "e.g. 023 531 2000 or 06 1234 5678"
_INVALID = f"not a Dutch phone number ({EXAMPLE})"


def normalise(text: str) -> str:
    """The number in E.164 (`+31…`); ValueError for anything that is not a valid Dutch
    phone number."""
    written = text.strip()
    if not written or len(written) > MAX_LENGTH or not _WRITTEN.match(written):
        raise ValueError(_INVALID)
    try:
        number = phonenumbers.parse(written, "NL")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_INVALID) from exc
    if number.country_code != 31 or number.extension or not phonenumbers.is_valid_number(number):
        raise ValueError(_INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """A stored number as people write it: "023 531 2000", "0251 123 456", "06 1234 5678",
    "0800 0220"."""
    number = phonenumbers.parse(e164, "NL")
    national = str(number.national_number)
    if national.startswith("6") and len(national) == 9:  # mobile: 06 and two fours
        return f"06 {national[1:5]} {national[5:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


PhoneNumber = Annotated[
    str,
    StringConstraints(max_length=MAX_LENGTH),
    AfterValidator(normalise),
]
"""A Dutch phone number in an input, stored and answered in E.164."""

OptionalPhoneNumber = Annotated[PhoneNumber | None, BeforeValidator(blank_is_none)]
"""An optional phone number: absent, null or blank means none."""
