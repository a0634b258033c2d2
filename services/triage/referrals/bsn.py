"""Referrals never carry a BSN. Free text is searched for anything that looks like one:
nine digits (optionally grouped with spaces, dots or dashes) that pass the elfproef."""

from __future__ import annotations

import re

# Nine digits, single separators allowed between them, not part of a longer number.
_CANDIDATE = re.compile(r"(?<![\d.\-])\d(?:[ .\-]?\d){8}(?![\d]|[.\-]\d)")


def passes_elfproef(digits: str) -> bool:
    """The BSN check: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11 (and not all zero)."""
    if len(digits) != 9 or not digits.isdigit() or int(digits) == 0:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def contains_bsn(text: str) -> bool:
    """Whether `text` holds something that looks like a BSN."""
    for match in _CANDIDATE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if passes_elfproef(digits):
            return True
    return False


def refuse_bsn(text: str | None) -> str | None:
    """A validator: refuse text with a BSN in it, without repeating the number."""
    if text is not None and contains_bsn(text):
        raise ValueError(
            "this text contains what looks like a BSN (nine digits passing the elfproef); "
            "a referral never carries a BSN or a name, leave it out"
        )
    return text
