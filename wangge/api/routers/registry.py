"""The register: persons (search, list, profile, writes, reveal), households, buildings, places.

Same scope, masking and sensitivity rules as the pages: every read goes through a registry
selector, every write through a registry service. Out of scope is 404; bad input 422 naming the
field; a stale `version` 409. Identifiers never travel in URLs: search terms may, because the
search box is how a clerk finds a person, so the API also accepts `POST /persons/search`.
"""

from datetime import date, datetime
from typing import Any

from ninja import Field, Query, Router, Schema

from wangge.core.downloads import xlsx_download
from wangge.core.inputs import DB_INT_MAX
from wangge.orgs.actors import request_actor
from wangge.registry import (
    data_export,
    export_jobs,
    place_services,
    privacy,
    selectors,
    services,
    tag_services,
)
from wangge.registry import person_list as person_lists
from wangge.registry.search import person_search

from .orgs import ErrorOut

router = Router(tags=["registry"])
ERRORS = {404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# An ID number registered out of sight is a probe, counted per user (registry/id_probes.py).
ID_WRITE_ERRORS = {**WRITE_ERRORS, 429: ErrorOut}


class PersonFilters(Schema):
    q: str | None = Field(None, max_length=64, description="name, pinyin, ID or phone (tail)")
    grid: str | None = None
    building: int | None = Field(None, ge=1, le=DB_INT_MAX)
    tag: str | None = None
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    residence_status: str | None = None
    after: str | None = Field(None, description="cursor from the previous page's `next`")
    limit: int = Field(50, ge=1, le=200)


class SearchIn(Schema):
    q: str = Field(..., max_length=64)
    limit: int = Field(20, ge=1, le=50)


class PersonPage(Schema):
    results: list[dict[str, Any]]
    next: str | None = None


class PersonIn(Schema):
    name: str = Field(..., max_length=64)
    id_number: str = Field("", max_length=18)
    gender: str | None = None
    birth_date: date | None = None
    phone: str = Field("", max_length=20)
    ethnicity: str = Field("", max_length=16)
    residence_status: str = "registered"
    registered_address: str = Field("", max_length=128)
    party_member: bool = False
    employer: str = Field("", max_length=64)
    relationship: str = ""
    move_in_date: date | None = None
    household_id: int | None = None
    grid_code: str | None = None


class PersonPatch(Schema):
    version: int = Field(..., ge=1)
    name: str | None = Field(None, max_length=64)
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=20)
    ethnicity: str | None = Field(None, max_length=16)
    residence_status: str | None = None
    registered_address: str | None = Field(None, max_length=128)
    party_member: bool | None = None
    employer: str | None = Field(None, max_length=64)
    relationship: str | None = None
    move_in_date: date | None = None


class PersonOut(Schema):
    id: int
    version: int


class MoveOutIn(Schema):
    version: int = Field(..., ge=1)
    date: date
    note: str = Field("", max_length=200)


class TagIn(Schema):
    tag: str
    valid_from: date
    valid_to: date | None = None
    grade: int | None = None
    note: str = Field("", max_length=128)


class TagEndIn(Schema):
    valid_to: date


class RevealIn(Schema):
    field: str
    reason: str = Field(..., max_length=200)
    password: str = Field("", max_length=256, description="or re-authenticate first")
    code: str | None = Field(None, max_length=12)


class DataExportIn(Schema):
    reason: str = Field(..., max_length=200)
    password: str = Field("", max_length=256, description="or re-authenticate first")
    code: str | None = Field(None, max_length=12)


class RevealOut(Schema):
    field: str
    value: str


# Bounds on numbers that reach the database: no NaN or infinity, nothing past a 64-bit column.
def lng_field():
    return Field(..., ge=-180, le=180, allow_inf_nan=False)


def lat_field():
    return Field(..., ge=-90, le=90, allow_inf_nan=False)


class PlaceIn(Schema):
    name: str
    address: str = ""
    lng: float = lng_field()
    lat: float = lat_field()
    floors: int | None = Field(None, ge=0, le=500)
    entrances: int | None = Field(None, ge=0, le=500)
    compound_id: int | None = Field(None, ge=1, le=DB_INT_MAX)


class DwellingIn(Schema):
    number: str
    entrance: int | None = Field(None, ge=0, le=500)
    floor: int | None = Field(None, ge=-20, le=500)
    use: str = "owner_occupied"
    area_m2: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False)


class HouseholdIn(Schema):
    number: str


class OrganisationIn(Schema):
    kind: str
    name: str
    credit_code: str = ""
    registration: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    address: str = ""
    lng: float = lng_field()
    lat: float = lat_field()


class Created(Schema):
    id: int


@router.get("/persons", response={200: PersonPage, **ERRORS})
def person_list(request, filters: Query[PersonFilters]):
    """With `q`: the search, best match first (one page). Without: the filtered list."""
    actor = request_actor(request)
    if filters.q:
        return {"results": person_search(actor=actor, q=filters.q, limit=min(filters.limit, 50))}
    rows, cursor = person_lists.person_list(
        actor=actor,
        filters=filters.model_dump(exclude={"q", "after", "limit"}, exclude_none=True),
        after=filters.after,
        limit=filters.limit,
    )
    return {"results": rows, "next": cursor}


class ExportIn(Schema):
    grid: str | None = None
    building: int | None = Field(None, ge=1, le=DB_INT_MAX)
    tag: str | None = None
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    residence_status: str | None = None
    unmasked: bool = False
    reason: str = Field("", max_length=200)
    password: str = Field("", max_length=256, description="for an unmasked export")
    code: str | None = Field(None, max_length=12)


class ExportJobOut(Schema):
    id: int
    state: str
    unmasked: bool
    processed_rows: int
    total_rows: int
    created_at: datetime
    finished_at: datetime | None = None
    expires_at: datetime | None = None
    download: str | None = Field(None, description="the file's URL once the state is `done`")


def _export_job_out(job) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "unmasked": job.unmasked,
        "processed_rows": job.processed_rows,
        "total_rows": job.total_rows,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "expires_at": job.expires_at,
        "download": f"/api/v1/exports/{job.pk}/file" if job.state == "done" else None,
    }


@router.post("/persons/export", response={202: ExportJobOut, 429: ErrorOut, **WRITE_ERRORS})
def person_export(request, payload: ExportIn):
    """Queue an xlsx export of the filtered list (written in the background: poll
    `GET /exports/{id}`). Unmasked only with the permission, a reason and a re-authentication;
    one running export per user and a few per hour; audited."""
    job = export_jobs.export_job_request(
        actor=request_actor(request),
        request=request,
        filters=payload.model_dump(
            exclude={"unmasked", "reason", "password", "code"}, exclude_none=True
        ),
        unmasked=payload.unmasked,
        reason=payload.reason,
        password=payload.password,
        code=payload.code,
    )
    return 202, _export_job_out(job)


@router.get("/exports/{job_id}", response={200: ExportJobOut, **ERRORS})
def export_job_get(request, job_id: int):
    """An export's state and progress; the requester's own only (anyone else: 404)."""
    return _export_job_out(export_jobs.export_job_get(actor=request_actor(request), job_id=job_id))


@router.get("/exports/{job_id}/file", response={200: None, **ERRORS})
def export_job_file(request, job_id: int):
    """The finished workbook, for the requester only, until it expires; audited."""
    content, name = export_jobs.export_job_file(actor=request_actor(request), job_id=job_id)
    return xlsx_download(content, name)


@router.post("/persons/search", response={200: PersonPage, **ERRORS})
def person_search_post(request, payload: SearchIn):
    """The search with the term in the body, so an ID number never lands in an access log."""
    return {
        "results": person_search(actor=request_actor(request), q=payload.q, limit=payload.limit)
    }


@router.get("/persons/{person_id}", response={200: dict[str, Any], **ERRORS})
def person_get(request, person_id: int):
    """A person's live archive (masked). Every call is written to the access log."""
    return selectors.person_get(actor=request_actor(request), person_id=person_id)


@router.post("/persons", response={201: PersonOut, **ID_WRITE_ERRORS})
def person_create(request, payload: PersonIn):
    data = payload.model_dump(exclude={"household_id", "grid_code"}, exclude_none=True)
    person = services.person_create(
        actor=request_actor(request),
        data=data,
        household_id=payload.household_id,
        grid_code=payload.grid_code,
    )
    return 201, {"id": person.id, "version": person.version}


@router.patch("/persons/{person_id}", response={200: PersonOut, **ID_WRITE_ERRORS})
def person_update(request, person_id: int, payload: PersonPatch):
    data = payload.model_dump(exclude={"version"}, exclude_unset=True)
    person = services.person_update(
        actor=request_actor(request), person_id=person_id, version=payload.version, data=data
    )
    return {"id": person.id, "version": person.version}


@router.post("/persons/{person_id}/move-out", response={200: PersonOut, **WRITE_ERRORS})
def person_move_out(request, person_id: int, payload: MoveOutIn):
    person = services.person_move_out(
        actor=request_actor(request),
        person_id=person_id,
        version=payload.version,
        moved_out_on=payload.date,
        note=payload.note,
    )
    return {"id": person.id, "version": person.version}


@router.post("/persons/{person_id}/tags", response={201: Created, **WRITE_ERRORS})
def person_tag_add(request, person_id: int, payload: TagIn):
    row = services.person_tag_add(
        actor=request_actor(request),
        person_id=person_id,
        tag_code=payload.tag,
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
        grade=payload.grade,
        note=payload.note,
    )
    return 201, {"id": row.id}


@router.post("/persons/{person_id}/tags/{tag}/end", response={200: Created, **WRITE_ERRORS})
def person_tag_end(request, person_id: int, tag: str, payload: TagEndIn):
    row = services.person_tag_end(
        actor=request_actor(request), person_id=person_id, tag_code=tag, valid_to=payload.valid_to
    )
    return {"id": row.id}


@router.post("/persons/{person_id}/reveal", response={200: RevealOut, **WRITE_ERRORS})
def person_reveal(request, person_id: int, payload: RevealIn):
    """One full value, for a stated reason, after the password (and TOTP code) again."""
    value = privacy.person_reveal(
        actor=request_actor(request),
        request=request,
        person_id=person_id,
        field=payload.field,
        reason=payload.reason,
        password=payload.password,
        code=payload.code,
    )
    return {"field": payload.field, "value": value}


@router.post(
    "/persons/{person_id}/data-export",
    response={200: dict[str, Any], 429: ErrorOut, **WRITE_ERRORS},
)
def person_data_export(request, person_id: int, payload: DataExportIn):
    """Everything held about one person, for their own request. Needs the
    `export_personal_data` permission, a reason and a re-authentication (here or through
    `POST /auth/reauthenticate` within the last minutes); rate-limited; audited."""
    return data_export.person_data_export(
        actor=request_actor(request),
        request=request,
        person_id=person_id,
        reason=payload.reason,
        password=payload.password,
        code=payload.code,
    )


@router.get("/households/{household_id}", response={200: dict[str, Any], **ERRORS})
def household_get(request, household_id: int):
    return selectors.household_get(actor=request_actor(request), household_id=household_id)


@router.get("/buildings/{building_id}", response={200: dict[str, Any], **ERRORS})
def building_get(request, building_id: int):
    return selectors.building_get(actor=request_actor(request), building_id=building_id)


@router.get("/grids/{code}/buildings", response={200: dict[str, Any], **ERRORS})
def grid_buildings(request, code: str):
    return selectors.grid_buildings(actor=request_actor(request), grid_code=code)


@router.post("/buildings", response={201: Created, **WRITE_ERRORS})
def building_create(request, payload: PlaceIn):
    building = place_services.building_create(
        actor=request_actor(request),
        data=payload.model_dump(exclude={"compound_id"}),
        compound_id=payload.compound_id,
    )
    return 201, {"id": building.id}


@router.post("/buildings/{building_id}/dwellings", response={201: Created, **WRITE_ERRORS})
def dwelling_create(request, building_id: int, payload: DwellingIn):
    dwelling = place_services.dwelling_create(
        actor=request_actor(request), building_id=building_id, data=payload.model_dump()
    )
    return 201, {"id": dwelling.id}


@router.post("/dwellings/{dwelling_id}/households", response={201: Created, **WRITE_ERRORS})
def household_create(request, dwelling_id: int, payload: HouseholdIn):
    household = place_services.household_create(
        actor=request_actor(request), dwelling_id=dwelling_id, number=payload.number
    )
    return 201, {"id": household.id}


@router.post("/organisations", response={201: Created, **WRITE_ERRORS})
def organisation_create(request, payload: OrganisationIn):
    organisation = place_services.organisation_create(
        actor=request_actor(request), data=payload.model_dump()
    )
    return 201, {"id": organisation.id}


class TagOut(Schema):
    code: str
    name: str
    sensitive: bool
    derived: bool
    has_grade: bool


class TagDefineIn(Schema):
    code: str = Field(..., max_length=32)
    name: str = Field(..., max_length=32)
    sensitive: bool = False
    has_grade: bool = False


class TagGrantIn(Schema):
    user_id: int = Field(..., ge=1, le=DB_INT_MAX)
    tag: str


@router.get("/key-population-tags", response=list[TagOut])
def key_population_tags(request):
    """The tags the caller may see (a sensitive tag without a grant is not listed)."""
    return person_lists.key_population_tags(actor=request_actor(request))


@router.post("/key-population-tags", response={201: TagOut, **WRITE_ERRORS})
def key_population_tag_create(request, payload: TagDefineIn):
    tag = tag_services.key_population_tag_create(
        actor=request_actor(request), **payload.model_dump()
    )
    return 201, tag


@router.post("/tag-grants", response={204: None, **WRITE_ERRORS})
def tag_grant_add(request, payload: TagGrantIn):
    tag_services.tag_grant_add(
        actor=request_actor(request), user_id=payload.user_id, tag_code=payload.tag
    )
    return 204, None


@router.post("/tag-grants/revoke", response={204: None, **WRITE_ERRORS})
def tag_grant_revoke(request, payload: TagGrantIn):
    tag_services.tag_grant_revoke(
        actor=request_actor(request), user_id=payload.user_id, tag_code=payload.tag
    )
    return 204, None
