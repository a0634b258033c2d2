"""Who may act on an organisation's objects: 403 for a role that may never do it, 404 for
an object of another organisation (its existence is never revealed)."""

from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.errors import Forbidden, NotFound


def ensure_provider_of(
    principal: Principal,
    organisation_id: uuid.UUID,
    *,
    scope: str,
    thing: str,
    admin_may: bool = False,
) -> None:
    """Let through the organisation's own provider (an API key needs `scope`), or an admin
    where `admin_may`; anyone else is refused."""
    if admin_may and principal.has("admin") and principal.via == "jwt":
        return
    if not principal.has("provider"):
        raise Forbidden(f"Only the provider of this {thing} may do this.")
    if not principal.belongs_to(organisation_id):
        raise NotFound(f"No such {thing}.")
    if not principal.allows(scope):
        raise Forbidden(f"This API key lacks the scope '{scope}'.")


def ensure_member_of(principal: Principal, organisation_id: uuid.UUID) -> None:
    """Let through an admin, or the organisation's own people: its providers, referrers and
    triagists (an API key needs `facilities:write`); another organisation's is 404."""
    if principal.has("admin") and principal.via == "jwt":
        return
    if not principal.has("provider", "referrer", "triagist"):
        raise Forbidden("Only the organisation's own people may change it.")
    if not principal.belongs_to(organisation_id):
        raise NotFound("No such organisation.")
    if not principal.allows("facilities:write"):
        raise Forbidden("This API key lacks the scope 'facilities:write'.")
