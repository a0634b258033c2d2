"""Settings are checked where they are read, for every process: a wrong value stops the
start with a message naming it."""

from __future__ import annotations

import pytest

from tests.conftest import make_settings


@pytest.mark.parametrize("retries", [[], [5.0, 0.0], [-1.0]])
def test_a_delivery_retry_schedule_must_wait(retries: list[float]) -> None:
    # Checked where every setting is, for every process — not only where notify is built.
    with pytest.raises(ValueError, match="ZORGPLEK_DELIVERY_RETRY_SECONDS"):
        make_settings("postgresql://x/y", delivery_retry_seconds=retries)
