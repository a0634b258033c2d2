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
