"""The pages read the APIs through one client, `services.web.core.api`: each call is
declared there once — method, path, the body it sends, the model its answer is parsed into.
Here each declaration is held against the route of the assembled app that answers it: the
route exists, it answers with that very class from `shared.contracts` (so a renamed or
retyped field is a type error in the producer and in the pages alike, found by mypy), and
every field the pages send is one the route reads, with every field it requires."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any, get_type_hints, is_typeddict

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from services.web.core import api
from shared import session_api
from shared.pagination import Page
from tests.kernel.test_contracts import marked, mypy_errors

ROOT = Path(__file__).resolve().parents[2]


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _routes(app: Any) -> dict[tuple[str, str], APIRoute]:
    routers = [r for c in app.state.components for r in c.routers] + [session_api.router]
    found: dict[tuple[str, str], APIRoute] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                for method in route.methods or ():
                    found[(method, _shape(route.path))] = route
    return found


def _declared() -> dict[str, api.Route]:
    return {name: value for name, value in vars(api).items() if isinstance(value, api.Route)}


def _route_of(app: Any, call: api.Route) -> APIRoute:
    route = _routes(app).get((call.method, _shape(call.path)))
    assert route is not None, f"no API route answers {call.method} {call.path}"
    return route


def test_the_client_declares_every_call_the_pages_make() -> None:
    """No page builds a path of its own: every `/api/v1/…` string is in the client."""
    web = ROOT / "services" / "web"
    outside = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in web.rglob("*.py")
        if path != web / "core" / "api.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"[\"']/api/", line)
    ]
    assert outside == []
    assert len(_declared()) > 30


def _contract(answer: type[BaseModel]) -> type[BaseModel]:
    """The contract of an answer: the model itself, or the item model of a `Page`."""
    generic = answer.__pydantic_generic_metadata__
    if generic["origin"] is Page:
        item: type[BaseModel] = generic["args"][0]
        return item
    return answer


def test_every_call_has_a_route_that_answers_with_the_same_contract(app: Any) -> None:
    for name, call in _declared().items():
        route = _route_of(app, call)
        if isinstance(call, api.Endpoint):
            assert route.response_model is call.answer, name
            assert _contract(call.answer).__module__.startswith("shared.contracts."), name
        else:
            assert route.response_model is None, name


def _model_of(annotation: Any) -> type[BaseModel]:
    """The model inside `annotation` (`X`, `X | None`, `Annotated[X, …]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        try:
            return _model_of(argument)
        except AssertionError:
            continue
    raise AssertionError(f"no model in {annotation!r}")


def _check_body(body: type, model: type[BaseModel], where: str) -> None:
    hints = get_type_hints(body)
    unknown = set(hints) - set(model.model_fields)
    assert not unknown, f"{where}: the API reads no {sorted(unknown)}"
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required <= body.__required_keys__, f"{where}: the API requires {sorted(required)}"  # type: ignore[attr-defined]
    for name, hint in hints.items():
        inner = [hint, *typing.get_args(hint)]
        for part in inner:
            if is_typeddict(part):
                annotation = model.model_fields[name].annotation
                _check_body(part, _model_of(annotation), f"{where}.{name}")


def test_every_body_the_pages_send_has_the_fields_the_route_reads(app: Any) -> None:
    for name, call in _declared().items():
        route = _route_of(app, call)
        if call.body is None:
            continue
        assert route.body_field is not None, name
        _check_body(call.body, _model_of(route.body_field.field_info.annotation), name)


class _Reservation(BaseModel):
    facility_id: str
    hold_minutes: int | None = None


class _Renamed(typing.TypedDict):
    facility: str
    facility_id: str


class _Missing(typing.TypedDict):
    hold_minutes: int


@pytest.mark.parametrize(
    ("body", "words"), [(_Renamed, r"reads no \['facility'\]"), (_Missing, "requires")]
)
def test_a_body_field_the_route_does_not_read_or_requires_is_named(body: type, words: str) -> None:
    """The body check can fail: the pages sending an old name, or leaving out a field
    the route requires."""
    with pytest.raises(AssertionError, match=words):
        _check_body(body, _Reservation, "RESERVE")


SNIPPET = """
import uuid

from services.web.core.api import Api
from shared.contracts.referrals import PatientOut


async def status_of(api: Api, referral_id: uuid.UUID) -> str:
    referral = await api.referral(referral_id)
    return referral.status


async def renamed(api: Api, referral_id: uuid.UUID) -> str:
    referral = await api.referral(referral_id)
    return referral.state  # ERROR: the pages still read a field triage no longer answers


async def retyped(api: Api, referral_id: uuid.UUID) -> str:
    return (await api.referral(referral_id)).due_at  # ERROR: a datetime is not a str


def produced() -> PatientOut:
    return PatientOut(birth_year=1941, sex="female", postal_code="2032")  # ERROR: old name
"""


def test_a_renamed_field_is_a_type_error_in_the_pages(tmp_path: Path) -> None:
    """mypy on a page written against the client: reading a field the contract does not
    have, or with another type, is an error, as is the producer building its answer with
    a name the contract no longer has."""
    errors = mypy_errors(tmp_path, SNIPPET)
    assert {line for line, _ in errors} == marked(SNIPPET), errors
    assert any('"ReferralOut" has no attribute "state"' in message for _, message in errors)
