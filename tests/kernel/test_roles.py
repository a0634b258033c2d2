"""The one role rule, `shared.auth.ensure_role`: every service asks it, in a service for an
action or as a router's dependency for whole endpoints. Each row names who calls, how, and
what the rule answers."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Principal, ensure_role
from shared.errors import Forbidden


def caller(*roles: str, via: str = "jwt", scopes: tuple[str, ...] = ()) -> Principal:
    return Principal(
        sub="someone",
        name="Iemand",
        org=None,
        roles=frozenset(roles),
        via="api_key" if via == "api_key" else "jwt",
        scopes=frozenset(scopes),
    )


ROWS: dict[str, tuple[Principal, dict[str, Any], str | None]] = {
    "a person with the role": (caller("triagist"), {}, None),
    "a person with another of the roles": (caller("referrer"), {}, None),
    "a person without the role": (caller("provider"), {}, "Only a triagist or referrer may"),
    "a person without any role": (caller(), {}, "Only a triagist or referrer may"),
    "an API key, for people only": (
        caller("referrer", via="api_key", scopes=("reservations:write",)),
        {},
        "needs a personal token",
    ),
    "an API key with the scope asked": (
        caller("referrer", via="api_key", scopes=("reservations:write",)),
        {"api_key_scope": "reservations:write"},
        None,
    ),
    "an API key without the scope asked": (
        caller("referrer", via="api_key", scopes=("events:read",)),
        {"api_key_scope": "reservations:write"},
        "needs the scope 'reservations:write'",
    ),
    "an API key by its role": (caller("referrer", via="api_key"), {"any_api_key": True}, None),
    "an API key without the role, by role": (
        caller("provider", via="api_key"),
        {"any_api_key": True},
        "Only a triagist or referrer may",
    ),
}


@pytest.mark.parametrize("row", ROWS)
def test_the_role_rule(row: str) -> None:
    principal, options, refusal = ROWS[row]
    if refusal is None:
        ensure_role(principal, "triagist", "referrer", doing="reserve places", **options)
        return
    with pytest.raises(Forbidden, match=refusal):
        ensure_role(principal, "triagist", "referrer", doing="reserve places", **options)


@pytest.mark.parametrize(
    ("roles", "said"),
    [
        (("admin",), "Only an admin may do this."),
        (("provider",), "Only a provider may do this."),
        (
            ("referrer", "triagist", "provider"),
            "Only a caller with one of the roles referrer, triagist, provider may do this.",
        ),
    ],
)
def test_a_refusal_says_who_may(roles: tuple[str, ...], said: str) -> None:
    with pytest.raises(Forbidden) as refused:
        ensure_role(caller("viewer"), *roles, doing="do this")
    assert refused.value.detail == said
