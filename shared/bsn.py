"""Referrals never carry a BSN. One rule, used by the API and by the pages alike: free text
is searched for anything that looks like one — nine digits that pass the elfproef, however
they are written.

Before searching, the text is normalised the way a reader's eye normalises it: compatibility
forms become plain characters (full-width digits become 0-9, NFKC) and invisible formatting
characters (zero-width spaces and joiners, soft hyphens, byte-order marks: Unicode category
Cf) are dropped. A number is then a run of digits in which short separators may stand
between digits — spaces, dots, dashes, slashes, underscores — so `BSN-111222333`,
`111/222/333`, `111_222_333` and `111 - 222 - 333` are all read as the digits 111222333.
Nine digits formed by whole groups of such a run (`111 222 333`, or the `111222333` of
`06 111222333`) that pass the elfproef are a BSN; nine digits cut out of a longer group (a
phone number like 0612345678, an account number) are not."""

from __future__ import annotations

import re
import unicodedata

# Digits with at most three separator characters between any two groups of them.
_NUMBER = re.compile(r"\d+(?:[\s._/\-]{1,3}\d+)*")
_GROUP = re.compile(r"\d+")


def passes_elfproef(digits: str) -> bool:
    """The BSN check: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11 (and not all zero)."""
    if len(digits) != 9 or not digits.isdigit() or int(digits) == 0:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def _visible(text: str) -> str:
    normal = unicodedata.normalize("NFKC", text)
    return "".join(c for c in normal if unicodedata.category(c) != "Cf")


def contains_bsn(text: str) -> bool:
    """Whether `text` holds something that looks like a BSN."""
    for match in _NUMBER.finditer(_visible(text)):
        groups = _GROUP.findall(match.group())
        for first in range(len(groups)):
            digits = ""
            for group in groups[first:]:
                digits += group
                if len(digits) >= 9:
                    break
            if passes_elfproef(digits):
                return True
    return False
