"""Reading what people type: a number is written in the digits 0–9 only."""

from __future__ import annotations


def whole_number(text: str) -> int | None:
    """The whole number `text` spells in ASCII digits, else None. (`str.isdigit` also
    accepts '²' and other digits that `int` refuses or that no one means.)"""
    return int(text) if text.isascii() and text.isdigit() else None
