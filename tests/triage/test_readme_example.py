"""The README's triage example works as written: submit, claim, match, reserve, accept."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import actors

README = Path(__file__).resolve().parents[2] / "README.md"


def example(name: str) -> str:
    text = README.read_text()
    match = re.search(rf"<!-- readme-example: {name} -->\n```sh\n(.*?)```", text, re.S)
    assert match, f"README has no example {name}"
    return match.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="CURL IS NOT INSTALLED")
async def test_triage_curl_example(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 2, features=["wound_care"])
        env = {
            **os.environ,
            "ZORGPLEK_URL": live_url,
            "FACILITY": facility["id"],
            "REFERRER_TOKEN": people.referrer["Authorization"].removeprefix("Bearer "),
            "TRIAGIST_TOKEN": people.triagist["Authorization"].removeprefix("Bearer "),
            "PROVIDER_TOKEN": people.provider_of(facility)["Authorization"].removeprefix("Bearer "),
        }
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            example("triage"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert "eigen regio" in out.decode()
        [referral] = (await client.get("/api/v1/referrals", headers=people.referrer)).json()[
            "items"
        ]
        assert referral["status"] == "placed"
        assert referral["reservation"]["facility_id"] == facility["id"]
