"""Every operation of the served OpenAPI document, fed generated requests — valid ones and
hostile ones (wrong types, out-of-range numbers, odd strings, missing fields) — by
schemathesis: none may answer 5xx. The budget is a fixed number of examples per operation
and generation mode, drawn deterministically, so a run covers the same ground on any
machine; a failure names the operation and the request that broke it."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from tests.conftest import TokenFactory
from tests.factories import create_organisation
from tests.triage.helpers import KENNEMERLAND

EXAMPLES = 6
ROLES = ("referrer", "triagist", "provider", "admin", "viewer", "auditor")


def _fuzz(base_url: str, headers_for: Any, answered: Counter[int]) -> list[str]:
    """Run every operation; the 5xx answers found, each as `METHOD path → status: body`.
    `answered` counts the statuses seen."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    found: list[str] = []
    for result in schema.get_all_operations():
        # Every operation of the document must be readable: an invalid one fails here.
        assert isinstance(result, Ok), result
        operation = result.ok()
        headers = headers_for()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _examples(operation, mode, base_url, headers, found, answered)
            except Unsatisfiable:
                # An operation without parameters or body has no invalid form.
                assert mode is GenerationMode.NEGATIVE, operation.label
    return found


def _answers_with_an_event_stream(operation: Any) -> bool:
    """Whether the document says `operation` may answer with Server-Sent Events."""
    responses: dict[str, Any] = operation.definition.raw.get("responses", {})
    return any("text/event-stream" in (r.get("content") or {}) for r in responses.values())


def _examples(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    found: list[str],
    answered: Counter[int],
) -> None:
    streams = _answers_with_an_event_stream(operation)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case[Any]) -> None:
        if streams:
            # The status line is the whole answer to judge: an event stream that opened
            # runs until the client leaves, so the client leaves once it has the status.
            kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
            with requests.request(**kwargs, stream=True, timeout=30) as response:
                status, body = response.status_code, ""
                if status >= 500:
                    body = response.text
        else:
            answer = case.call(base_url=base_url, headers=headers, timeout=30)
            status, body = answer.status_code, answer.text
        answered[status] += 1
        if status >= 500:
            found.append(f"{case.method} {case.formatted_path} → {status}: {body[:200]}")

    call()


@pytest.mark.slow
async def test_no_operation_answers_5xx_to_generated_input(
    live_url: str, auth: TokenFactory, client: httpx.AsyncClient
) -> None:
    organisation = await create_organisation(client, auth, kind="gp")

    def headers_for() -> dict[str, str]:
        # A caller with every role, new for each operation so no rate limit is reached.
        return auth(
            *ROLES,
            org=organisation["id"],
            regions=[KENNEMERLAND],
            sub=f"fuzz-{uuid.uuid4().hex[:8]}",
        )

    # The server runs on this event loop; the synchronous client runs beside it.
    answered: Counter[int] = Counter()
    found = await asyncio.to_thread(_fuzz, live_url, headers_for, answered)
    assert found == []
    # The requests reached the endpoints: many were served, many refused as invalid.
    assert sum(n for status, n in answered.items() if status < 300) > 50, answered
    assert answered[422] > 100, answered
