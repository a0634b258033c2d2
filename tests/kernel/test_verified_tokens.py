"""A verified token is remembered for a while, so its signature is not checked again on every
request; never past its expiry, and never whether its session has ended (that is asked of
the database every time: tests/kernel/test_session.py)."""

from __future__ import annotations

import time

import pytest

from shared.auth import VERIFIED_SECONDS, Principal, TokenVerifier, issue_token
from shared.errors import Unauthorized
from shared.settings import Settings
from tests.conftest import SECRET


class CountingVerifier(TokenVerifier):
    """Counts the full checks (signature, issuer, audience, expiry, claims)."""

    checks = 0

    async def _check(self, token: str) -> Principal:
        self.checks += 1
        return await super()._check(token)


@pytest.fixture
def verifier() -> CountingVerifier:
    return CountingVerifier(Settings(jwt_secret=SECRET, database_url="postgresql://x/y"))


def move_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    moved = time.time() + seconds
    monkeypatch.setattr(time, "time", lambda: moved)


async def test_a_token_is_checked_in_full_once(verifier: CountingVerifier) -> None:
    token = issue_token(verifier.settings, sub="s", name="N", roles=["viewer"])
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first
    assert verifier.checks == 1


async def test_it_is_checked_again_after_a_while(
    verifier: CountingVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = issue_token(verifier.settings, sub="s", name="N", roles=["viewer"])
    await verifier.verify(token)
    move_clock(monkeypatch, VERIFIED_SECONDS + 1)
    await verifier.verify(token)
    assert verifier.checks == 2


async def test_it_is_never_taken_past_its_expiry(
    verifier: CountingVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = issue_token(verifier.settings, sub="s", name="N", roles=["viewer"], ttl_seconds=60)
    await verifier.verify(token)
    move_clock(monkeypatch, 60)
    await verifier.verify(token)  # checked in full again (on the real clock it is still valid)
    assert verifier.checks == 2


async def test_a_refused_token_is_not_remembered(verifier: CountingVerifier) -> None:
    other = Settings(
        jwt_secret="another-secret-that-is-also-long-enough!!", database_url="postgresql://x/y"
    )
    forged = issue_token(other, sub="s", name="N", roles=["admin"])
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await verifier.verify(forged)
    assert verifier.checks == 2
