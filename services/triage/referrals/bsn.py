"""Referrals never carry a BSN: free text that holds one is refused (the rule itself, shared
with the pages, is shared/bsn.py)."""

from __future__ import annotations

from shared.bsn import contains_bsn


def refuse_bsn(text: str | None) -> str | None:
    """A validator: refuse text with a BSN in it, without repeating the number."""
    if text is not None and contains_bsn(text):
        raise ValueError(
            "this text contains what looks like a BSN (nine digits passing the elfproef); "
            "a referral never carries a BSN or a name, leave it out"
        )
    return text
