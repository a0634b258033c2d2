"""Every paged list is made by the kernel's `page()`: `limit + 1` rows in, at most `limit`
items and a cursor out when there are more."""

from __future__ import annotations

import re
from pathlib import Path

from shared.pagination import decode_cursor, page

ROOT = Path(__file__).resolve().parents[2]


def test_a_page_has_a_cursor_only_when_there_is_more() -> None:
    full = page([1, 2, 3], 2, lambda n: (n,))
    assert full.items == [1, 2]
    assert decode_cursor(full.next_cursor, int) == (2,)
    last = page([1, 2], 2, lambda n: (n,))
    assert (last.items, last.next_cursor) == ([1, 2], None)
    assert page([], 2, lambda n: (n,)).items == []


def test_a_page_of_rows_becomes_a_page_of_answers_with_the_same_cursor() -> None:
    rows = [("b", 2), ("a", 1), ("c", 3)]
    paged = page(rows, 2, lambda row: (row[1],))
    answers = paged.map(lambda row: row[0].upper())
    assert answers.items == ["B", "A"]
    assert answers.next_cursor == paged.next_cursor
    assert decode_cursor(answers.next_cursor, int) == (1,)


def test_by_offset_the_next_page_starts_limit_further() -> None:
    offset, limit = 40, 20
    paged = page(list(range(21)), limit, lambda _: (offset + limit,))
    assert decode_cursor(paged.next_cursor, int) == (60,)


def test_no_service_pages_by_hand() -> None:
    """No router or service cuts `limit + 1` rows itself or decides there is more."""
    by_hand = re.compile(r"\[:\s*(limit|count)\s*\]|len\(\w+\)\s*>\s*(limit|count)\b")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "services").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if by_hand.search(line)
    ]
    assert found == []
