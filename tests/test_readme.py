"""The README's provider example works as written: a provider posts capacity with curl and
a GP finds it in an availability search."""

import asyncio
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation

README = Path(__file__).resolve().parent.parent / "README.md"


def example(name: str) -> str:
    text = README.read_text()
    match = re.search(rf"<!-- readme-example: {name} -->\n```sh\n(.*?)```", text, re.S)
    assert match, f"README has no example {name}"
    return match.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="CURL IS NOT INSTALLED")
async def test_provider_curl_example(
    client: httpx.AsyncClient, auth: TokenFactory, live_url: str
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    key = (
        await client.post(
            f"/api/v1/organisations/{organisation['id']}/api-keys",
            json={"scopes": ["capacity:write"], "label": "ECD"},
            headers=auth("admin"),
        )
    ).json()["key"]
    env = {
        **os.environ,
        "ZORGPLEK_URL": live_url,
        "FACILITY": facility["id"],
        "PROVIDER_KEY": key,
        "REFERRER_TOKEN": auth("referrer")["Authorization"].removeprefix("Bearer "),
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        example("provider-report"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    decoder = json.JSONDecoder()
    text = out.decode().strip()
    state, end = decoder.raw_decode(text)
    search: dict[str, Any] = json.loads(text[end:])
    assert state["applied"] is True
    assert state["free"] == 3
    [found] = search["items"]
    assert found["facility"]["id"] == facility["id"]
    assert found["free"] == 3


def answer(name: str) -> Any:
    text = README.read_text()
    match = re.search(rf"<!-- readme-answer: {name} -->\n```json\n(.*?)```", text, re.S)
    assert match, f"README has no answer {name}"
    return json.loads(match.group(1))


@pytest.mark.skipif(shutil.which("curl") is None, reason="CURL IS NOT INSTALLED")
async def test_fhir_curl_example(
    client: httpx.AsyncClient, auth: TokenFactory, live_url: str
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client,
        auth,
        organisation["id"],
        name="Hof van Leyden",
        identifiers=[{"system": "http://fhir.nl/fhir/NamingSystem/agb-z", "value": "47470001"}],
    )
    key = (
        await client.post(
            f"/api/v1/organisations/{organisation['id']}/api-keys",
            json={"scopes": ["capacity:write"], "label": "ECD"},
            headers=auth("admin"),
        )
    ).json()["key"]
    env = {
        **os.environ,
        "ZORGPLEK_URL": live_url,
        "PROVIDER_KEY": key,
        "REFERRER_TOKEN": auth("referrer")["Authorization"].removeprefix("Bearer "),
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-euo",
        "pipefail",
        "-c",
        example("fhir-report"),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    decoder = json.JSONDecoder()
    text = out.decode().strip()
    outcome, end = decoder.raw_decode(text)
    search: dict[str, Any] = json.loads(text[end:])
    assert outcome == answer("fhir-report")
    assert [e["resource"]["id"] for e in search["entry"]] == [facility["id"]]
    assert search["entry"][0]["resource"]["operationalStatus"]["code"] == "U"
