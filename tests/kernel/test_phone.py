"""Dutch phone numbers: every way people write one is read, stored in E.164 and shown as
people in the Netherlands write it; anything else is refused."""

from __future__ import annotations

import pytest

from shared.phone import display, normalise


@pytest.mark.parametrize(
    ("written", "stored", "shown"),
    [
        pytest.param("023 531 2000", "+31235312000", "023 531 2000", id="area-code-of-three"),
        pytest.param("023-5312000", "+31235312000", "023 531 2000", id="hyphen"),
        pytest.param("(023) 531 20 00", "+31235312000", "023 531 2000", id="brackets"),
        pytest.param("+31 (0)23 531 2000", "+31235312000", "023 531 2000", id="plus-31-zero"),
        pytest.param("0031 23 531 2000", "+31235312000", "023 531 2000", id="double-zero"),
        pytest.param("0251 262 500", "+31251262500", "0251 262 500", id="area-code-of-four"),
        pytest.param("0172-471230", "+31172471230", "0172 471 230", id="alphen"),
        pytest.param("06 1234 5678", "+31612345678", "06 1234 5678", id="mobile"),
        pytest.param("0612345678", "+31612345678", "06 1234 5678", id="mobile-run-on"),
        pytest.param("+31 6 12345678", "+31612345678", "06 1234 5678", id="mobile-plus"),
        pytest.param("06-12 34 56 78", "+31612345678", "06 1234 5678", id="mobile-pairs"),
        pytest.param("088 123 4567", "+31881234567", "088 123 4567", id="company-number"),
        pytest.param("0800 0220", "+318000220", "0800 0220", id="free-number"),
        pytest.param(" 071.526.4000 ", "+31715264000", "071 526 4000", id="dots-and-spaces"),
    ],
)
def test_a_dutch_number_is_stored_and_shown(written: str, stored: str, shown: str) -> None:
    assert normalise(written) == stored
    assert display(stored) == shown


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("", id="empty"),
        pytest.param("112", id="emergency-number"),
        pytest.param("12345", id="too-short"),
        pytest.param("06 1234 567", id="mobile-a-digit-short"),
        pytest.param("023 531 2000 0", id="a-digit-too-many"),
        pytest.param("+49 30 1234567", id="german"),
        pytest.param("+32 2 123 45 67", id="belgian"),
        pytest.param("0800-ZORG", id="letters"),
        pytest.param("023 531 2000 x12", id="extension"),
        pytest.param("023\n531 2000", id="line-break"),
        pytest.param("023\x00531 2000", id="nul"),
        pytest.param("0" * 40, id="long"),
        pytest.param("++31 23 531 2000", id="two-pluses"),
    ],
)
def test_anything_else_is_refused(written: str) -> None:
    with pytest.raises(ValueError, match="not a Dutch phone number"):
        normalise(written)
