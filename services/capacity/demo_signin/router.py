"""The development sign-in: the demo users and a token for each, issued here so that the
web pages never hold the signing secret. Only in development with ZORGPLEK_DEV_LOGIN
(`zorgplek up --demo` on its embedded database); everywhere else these answer 404."""

from __future__ import annotations

from fastapi import APIRouter

from services.capacity import demo
from shared.contracts.session import DemoSignInIn, DemoTokenOut, DemoUserOut, DemoUsersOut
from shared.errors import NotFound, problem_responses
from shared.settings import AppSettings, Settings

# Public by choice, and only in development: the demo sign-in has no other credential.
router = APIRouter(prefix="/api/v1/demo", tags=["demo"])


def _enabled(settings: Settings) -> None:
    if not (settings.env == "development" and settings.dev_login):
        raise NotFound("The demo sign-in is off.")


@router.get("/users", responses=problem_responses(404))
async def demo_users(settings: AppSettings) -> DemoUsersOut:
    """The demo users to sign in as (development only)."""
    _enabled(settings)
    return DemoUsersOut(
        items=[
            DemoUserOut(sub=u.sub, name=u.name, role=u.role, organisation_name=u.organisation_name)
            for u in demo.users()
        ]
    )


@router.post("/sign-in", responses=problem_responses(404, 422))
async def demo_sign_in(body: DemoSignInIn, settings: AppSettings) -> DemoTokenOut:
    """A token of one demo user (development only)."""
    _enabled(settings)
    user = next((u for u in demo.users() if u.sub == body.sub), None)
    if user is None:
        raise NotFound("No demo user by that sub.")
    return DemoTokenOut(token=demo.token_for(settings, user))
