"""How long a place may be held for the provider's answer: at most
`ZORGPLEK_HOLD_MAX_MINUTES` (4 hours unless configured), for a triagist and for a GP's
direct booking alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from shared.http import client as http_client
from tests.conftest import TokenFactory, make_settings
from tests.factories import place_with_free
from tests.triage.helpers import actors, claim, free_places, reserve, submit


@pytest.mark.parametrize("who", ["triagist", "referrer"])
async def test_no_one_holds_a_place_longer_than_four_hours(
    live_url: str, auth: TokenFactory, who: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        if who == "triagist":
            await claim(client, ref["id"], people.triagist)
        headers = people.triagist if who == "triagist" else people.referrer
        too_long = await reserve(client, ref["id"], facility["id"], headers, hold_minutes=1438)
        assert too_long.status_code == 422, too_long.text
        (error,) = too_long.json()["errors"]
        assert error["loc"] == ["body", "hold_minutes"]
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1

        longest = await reserve(client, ref["id"], facility["id"], headers, hold_minutes=240)
        assert longest.status_code == 201, longest.text
        left = datetime.fromisoformat(longest.json()["expires_at"]) - datetime.now(UTC)
        assert timedelta(minutes=235) < left <= timedelta(hours=4)


def test_the_default_may_not_exceed_the_limit(database_url: str) -> None:
    with pytest.raises(ValidationError, match="HOLD_MAX_MINUTES"):
        make_settings(database_url, reservation_ttl_minutes=300)
    with pytest.raises(ValidationError):
        make_settings(database_url, hold_max_minutes=0)
    assert make_settings(database_url, hold_max_minutes=60).hold_max_minutes == 60
