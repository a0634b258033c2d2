"""The BSN rule (shared/bsn.py), table-driven: every way a BSN may be written is caught,
other numbers a referral carries are not."""

from __future__ import annotations

import pytest

from shared.bsn import contains_bsn, passes_elfproef

# 111222333 and 123456782 pass the elfproef.
WRITTEN_AS_A_BSN = [
    "zie 111222333",
    "BSN 111222333 graag bellen",
    "BSN-111222333",
    "BSN:111222333",
    "bsn: 123.456.782",
    "nummer 111 222 333.",
    "111-222-333",
    "111/222/333",
    "111_222_333",
    "111 - 222 - 333",
    "111\u200b222333",  # a zero-width space inside
    "111\u200d222\ufeff333",  # a zero-width joiner and a byte-order mark
    "111\u00ad222\u00a0333",  # a soft hyphen and a no-break space
    "１１１２２２３３３",  # full-width digits
    "tel 06 111222333",  # a BSN after a short number
]

OTHER_NUMBERS = [
    "tel. 0612345678",
    "06-12345678",
    "kamer 123456789",  # nine digits, but no elfproef
    "postcode 2011, geboren 1941",
    "12-03-2024 11:30",
    "1112223334",  # ten digits
    "01112223330",  # nine digits cut out of a longer number
    "HA-2026/0041",
    "",
]


@pytest.mark.parametrize("text", WRITTEN_AS_A_BSN)
def test_a_bsn_is_found_however_it_is_written(text: str) -> None:
    assert contains_bsn(text)


@pytest.mark.parametrize("text", OTHER_NUMBERS)
def test_other_numbers_are_not_a_bsn(text: str) -> None:
    assert not contains_bsn(text)


def test_elfproef() -> None:
    assert passes_elfproef("111222333")
    assert passes_elfproef("123456782")
    assert not passes_elfproef("123456789")
    assert not passes_elfproef("000000000")
    assert not passes_elfproef("11122233")
