"""Org units and grids: the tree, grid cards, point → grid, map layer, and admin edits.

Thin: parse, call one selector or service, return. Out of scope is 404; bad input 422 naming the
field; a stale `version` 409 ("version_conflict").
"""

from typing import Any

from ninja import Field, Query, Router, Schema

from wangge.orgs import selectors, services
from wangge.orgs.actors import request_actor
from wangge.orgs.codes import parent_code_of
from wangge.orgs.coverage import coverage_report
from wangge.orgs.enums import OrgUnitKind

router = Router(tags=["orgs"])


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    detail: dict[str, Any] | None = None


class TreeNode(Schema):
    code: str
    name: str
    kind: OrgUnitKind
    children: list["TreeNode"] = []


TreeNode.model_rebuild()


class Named(Schema):
    code: str
    name: str


class GridWorkerOut(Schema):
    name: str
    phone: str
    role: str


class CountsOut(Schema):
    households: int
    persons: int
    party_members: int
    key_populations: dict[str, int]


class GridCardOut(Schema):
    code: str
    name: str
    kind: OrgUnitKind
    institution: str
    version: int
    community: Named | None
    area_m2: float | None
    centroid: list[float] | None = Field(None, description="[lng, lat]")
    grid_workers: list[GridWorkerOut]
    counts: CountsOut
    boundary: dict[str, Any] | None


class OrgUnitOut(Schema):
    code: str
    name: str
    kind: OrgUnitKind
    parent_code: str | None
    path: str
    depth: int
    boundary: dict[str, Any] | None
    area_m2: float | None
    centroid: list[float] | None = Field(None, description="[lng, lat]")
    institution: str
    sort_order: int
    is_active: bool
    version: int


class OrgUnitIn(Schema):
    code: str = Field(..., max_length=16)
    name: str = Field(..., max_length=64)
    kind: OrgUnitKind
    parent_code: str | None = None
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    institution: str = Field("", max_length=64)
    sort_order: int = 0


class OrgUnitPatch(Schema):
    version: int = Field(..., ge=1)
    name: str | None = Field(None, max_length=64)
    boundary: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    institution: str | None = Field(None, max_length=64)


class SplitIn(Schema):
    version: int = Field(..., ge=1)
    line: dict[str, Any] = Field(..., description="GeoJSON LineString that cuts the grid in two")
    new_code: str = Field(..., max_length=16)
    new_name: str = Field(..., max_length=64)


class SplitOut(Schema):
    kept: OrgUnitOut
    created: OrgUnitOut


class MergeIn(Schema):
    version: int = Field(..., ge=1)
    other_code: str = Field(..., max_length=16)
    other_version: int = Field(..., ge=1)


class LocateQuery(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lng: float = Field(..., ge=-180, le=180)


def unit_out(unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_code": parent_code_of(unit.path),
        "path": unit.path,
        "depth": unit.depth,
        "boundary": unit.boundary,
        "area_m2": unit.area_m2,
        "centroid": [unit.centroid_lng, unit.centroid_lat]
        if unit.centroid_lng is not None
        else None,
        "institution": unit.institution,
        "sort_order": unit.sort_order,
        "is_active": unit.is_active,
        "version": unit.version,
    }


ERRORS = {404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/orgs/tree", response=list[TreeNode])
def org_tree(request):
    return selectors.org_tree(actor=request_actor(request))


@router.get("/orgs/geojson", response=dict[str, Any])
def org_geojson(request, parent: str | None = None):
    """Communities, sectors and grids as a FeatureCollection for the map layer."""
    return selectors.grids_geojson(actor=request_actor(request), parent_code=parent)


@router.get("/orgs/coverage", response={200: list[dict[str, Any]], **ERRORS})
def org_coverage(request, community: str | None = None):
    """Gaps and overlaps between communities and their grids."""
    return coverage_report(actor=request_actor(request), community_code=community)


@router.get("/orgs/{code}", response={200: OrgUnitOut, **ERRORS})
def org_unit_get(request, code: str):
    return unit_out(selectors.org_unit_get(actor=request_actor(request), code=code))


@router.post("/orgs", response={201: OrgUnitOut, **WRITE_ERRORS})
def org_unit_create(request, payload: OrgUnitIn):
    unit = services.org_unit_create(actor=request_actor(request), **payload.model_dump())
    return 201, unit_out(unit)


@router.patch("/orgs/{code}", response={200: OrgUnitOut, **WRITE_ERRORS})
def org_unit_update(request, code: str, payload: OrgUnitPatch):
    unit = services.org_unit_update(actor=request_actor(request), code=code, **payload.model_dump())
    return unit_out(unit)


@router.get("/grids/counts", response={200: dict[str, CountsOut], **ERRORS})
def grid_counts(request, parent: str | None = None):
    """Counts per grid code for the grids the actor sees (under `parent`): households, persons,
    party members and the key populations the actor may see. Feeds the map colouring."""
    return selectors.grid_counts_in(actor=request_actor(request), parent_code=parent)


# Declared before /grids/{code} so that "locate" and "counts" are not taken for a code.
@router.get("/grids/locate", response={200: GridCardOut, **ERRORS})
def grid_locate(request, point: Query[LocateQuery]):
    return selectors.grid_locate(actor=request_actor(request), lat=point.lat, lng=point.lng)


@router.get("/grids/{code}", response={200: GridCardOut, **ERRORS})
def grid_card(request, code: str):
    return selectors.grid_card(actor=request_actor(request), code=code)


@router.post("/grids/{code}/split", response={200: SplitOut, **WRITE_ERRORS})
def grid_split(request, code: str, payload: SplitIn):
    kept, created = services.grid_split(
        actor=request_actor(request), code=code, **payload.model_dump()
    )
    return {"kept": unit_out(kept), "created": unit_out(created)}


@router.post("/grids/{code}/merge", response={200: OrgUnitOut, **WRITE_ERRORS})
def grid_merge(request, code: str, payload: MergeIn):
    unit = services.grid_merge(actor=request_actor(request), code=code, **payload.model_dump())
    return unit_out(unit)
