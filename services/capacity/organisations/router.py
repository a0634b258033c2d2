import uuid

from fastapi import status

from services.capacity.base import Idempotency
from services.capacity.organisations import service
from services.capacity.organisations.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyIntrospection,
    ApiKeyIntrospectionIn,
    ApiKeyOut,
    OrganisationIn,
    OrganisationKind,
    OrganisationOut,
    OrganisationPatch,
)
from shared.auth import Admin, AnyRole, CurrentPrincipal, ServiceCaller, authenticated_router
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page

router = authenticated_router(prefix="/api/v1/organisations", tags=["organisations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationOut,
    responses=problem_responses(401, 403, 422),
)
async def create_organisation(
    body: OrganisationIn, _: Admin, session: DbSession, idempotency: Idempotency
) -> object:
    """Register a provider, referrer or coordination desk organisation."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    organisation = await service.create(session, body)
    return await idempotency.respond(201, OrganisationOut.model_validate(organisation))


@router.get("", response_model=Page[OrganisationOut], responses=problem_responses(401, 422))
async def list_organisations(
    _: AnyRole,
    session: DbSession,
    kind: OrganisationKind | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrganisationOut]:
    """Organisations by name."""
    after = decode_cursor(cursor, str, uuid.UUID)
    rows = await service.list_page(session, after=after, kind=kind, limit=limit + 1)
    items = [OrganisationOut.model_validate(row) for row in rows]
    return page(items, limit, lambda item: (item.name, item.id))


@router.get(
    "/{organisation_id}", response_model=OrganisationOut, responses=problem_responses(401, 404)
)
async def get_organisation(
    organisation_id: uuid.UUID, _: AnyRole, session: DbSession
) -> OrganisationOut:
    """One organisation."""
    return OrganisationOut.model_validate(await service.get(session, organisation_id))


@router.patch(
    "/{organisation_id}",
    response_model=OrganisationOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def update_organisation(
    organisation_id: uuid.UUID,
    body: OrganisationPatch,
    principal: CurrentPrincipal,
    session: DbSession,
) -> OrganisationOut:
    """Change an organisation's phone (an admin, or the organisation's own providers,
    referrers and triagists). Only the fields sent change."""
    organisation = await service.update(session, principal, organisation_id, body)
    return OrganisationOut.model_validate(organisation)


@router.post(
    "/{organisation_id}/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=problem_responses(401, 403, 404, 422),
)
async def create_api_key(
    organisation_id: uuid.UUID,
    body: ApiKeyIn,
    principal: CurrentPrincipal,
    session: DbSession,
    idempotency: Idempotency,
) -> object:
    """Issue an API key for the organisation's own systems. The key is shown only here."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    record, key = await service.create_api_key(session, principal, organisation_id, body)
    created = ApiKeyCreated(**ApiKeyOut.model_validate(record).model_dump(), key=key)
    return await idempotency.respond(201, created)


@router.get(
    "/{organisation_id}/api-keys",
    response_model=Page[ApiKeyOut],
    responses=problem_responses(401, 403, 404),
)
async def list_api_keys(
    organisation_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Page[ApiKeyOut]:
    """The organisation's API keys (never the keys themselves)."""
    keys = await service.list_api_keys(session, principal, organisation_id)
    return Page(items=[ApiKeyOut.model_validate(k) for k in keys])


@router.delete(
    "/{organisation_id}/api-keys/{key_id}",
    response_model=ApiKeyOut,
    responses=problem_responses(401, 403, 404),
)
async def revoke_api_key(
    organisation_id: uuid.UUID, key_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> ApiKeyOut:
    """Revoke an API key; it is refused from the next request on."""
    key = await service.revoke_api_key(session, principal, organisation_id, key_id)
    return ApiKeyOut.model_validate(key)


introspection = authenticated_router(prefix="/api/v1/api-keys", tags=["organisations"])


@introspection.post(
    "/introspect",
    response_model=ApiKeyIntrospection,
    responses=problem_responses(401, 403, 404, 422),
)
async def introspect_api_key(
    body: ApiKeyIntrospectionIn, _: ServiceCaller, session: DbSession
) -> ApiKeyIntrospection:
    """For the other services: the organisation and scopes of an active API key; 404 for
    an unknown or revoked key."""
    record = await service.introspect(session, body.key)
    return ApiKeyIntrospection.model_validate(record, from_attributes=True)


@introspection.get(
    "/{key_id}",
    response_model=ApiKeyIntrospection,
    responses=problem_responses(401, 403, 404, 422),
)
async def introspect_api_key_by_id(
    key_id: uuid.UUID, _: ServiceCaller, session: DbSession
) -> ApiKeyIntrospection:
    """For the other services: whether the API key with this id is still active, with its
    organisation and scopes; 404 once it is revoked (notify asks before each delivery to a
    subscription the key made)."""
    record = await service.introspect_by_id(session, key_id)
    return ApiKeyIntrospection.model_validate(record, from_attributes=True)
