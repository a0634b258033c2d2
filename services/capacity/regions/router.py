from pydantic import BaseModel

from shared import reference
from shared.auth import AnyRole, authenticated_router
from shared.errors import problem_responses
from shared.pagination import Page

router = authenticated_router(prefix="/api/v1", tags=["reference"])


class RegionOut(BaseModel):
    code: str
    name: str
    kind: str
    parent_codes: list[str]


class PlaceTypeOut(BaseModel):
    code: str
    name: str
    financing: str
    direct_booking: bool
    crisis: bool
    stale_after_hours: float


class FeatureOut(BaseModel):
    code: str
    name: str


@router.get("/regions", response_model=Page[RegionOut], responses=problem_responses(401))
async def list_regions(_: AnyRole) -> Page[RegionOut]:
    """The reference regions: ROAZ regions, zorgkantoor regions and their subregions."""
    return Page(
        items=[
            RegionOut(code=r.code, name=r.name, kind=r.kind, parent_codes=list(r.parent_codes))
            for r in reference.regions().values()
        ]
    )


@router.get("/place-types", response_model=Page[PlaceTypeOut], responses=problem_responses(401))
async def list_place_types(_: AnyRole) -> Page[PlaceTypeOut]:
    """The place types, with who may book them and when their reports go stale by default."""
    return Page(
        items=[
            PlaceTypeOut(
                code=p.code,
                name=p.name,
                financing=p.financing,
                direct_booking=p.direct_booking,
                crisis=p.crisis,
                stale_after_hours=p.ttl.total_seconds() / 3600,
            )
            for p in reference.place_types().values()
        ]
    )


@router.get("/features", response_model=Page[FeatureOut], responses=problem_responses(401))
async def list_features(_: AnyRole) -> Page[FeatureOut]:
    """The place features that matching respects."""
    return Page(items=[FeatureOut(code=c, name=n) for c, n in reference.features().items()])
