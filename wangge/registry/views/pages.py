"""Register pages: the drill-down grid → buildings → dwellings → households → persons, the
person's profile and the filtered person list. Each view parses, calls one selector, renders.

Out-of-scope and missing records raise NotFound in the selector; the error middleware turns it
into the 404 page and records the denial.
"""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from wangge.core.decorators import staff_role_required
from wangge.core.errors import ValidationFailed
from wangge.core.scope import path_in_scope, request_actor
from wangge.orgs.views.maps import tile_config

from ..permissions import has_register_permission, write_paths
from ..person_list import person_list, person_list_options
from ..selectors import (
    building_get,
    building_points,
    grid_buildings,
    household_get,
    person_get,
)

LIST_FILTERS = ("grid", "building", "tag", "age_min", "age_max", "residence_status")
PAGE_SIZE = 50


def _can_edit(actor, record: dict) -> bool:
    """Edit links only for those who keep the register there (a clerk reads, never writes)."""
    return path_in_scope(record["path"], write_paths(actor))


@staff_role_required()
@require_GET
def grid_page(request, code: str):
    actor = request_actor(request)
    grid = grid_buildings(actor=actor, grid_code=code)
    points = building_points(actor=actor, grid_code=code)
    return render(
        request, "registry/grid.html", {"grid": grid, "points": points, "tile": tile_config()}
    )


@staff_role_required()
@require_GET
def building_page(request, building_id: int):
    actor = request_actor(request)
    building = building_get(actor=actor, building_id=building_id)
    context = {"building": building, "can_edit": _can_edit(actor, building)}
    return render(request, "registry/building.html", context)


@staff_role_required()
@require_GET
def household_page(request, household_id: int):
    actor = request_actor(request)
    household = household_get(actor=actor, household_id=household_id)
    context = {"household": household, "can_edit": _can_edit(actor, household)}
    return render(request, "registry/household.html", context)


@staff_role_required()
@require_GET
def person_page(request, person_id: int):
    actor = request_actor(request)
    person = person_get(actor=actor, person_id=person_id)
    person["can_reveal"] = has_register_permission(actor, "reveal_personal_data")
    context = {"person": person, "can_edit": _can_edit(actor, person)}
    return render(request, "registry/person.html", context)


@staff_role_required()
@require_GET
def person_list_page(request):
    actor = request_actor(request)
    filters = {name: request.GET.get(name, "").strip() for name in LIST_FILTERS}
    active = {name: value for name, value in filters.items() if value}
    error = None
    try:
        rows, next_cursor = person_list(
            actor=actor, filters=active, after=request.GET.get("after") or None, limit=PAGE_SIZE
        )
    except ValidationFailed as exc:
        rows, next_cursor, error = [], None, exc
    base = reverse("registry_persons")
    return render(
        request,
        "registry/persons.html",
        {
            "rows": rows,
            "filters": filters,
            "options": person_list_options(actor=actor),
            "error": error,
            "can_export_unmasked": has_register_permission(actor, "export_unmasked"),
            "first_url": f"{base}?{urlencode(active)}" if request.GET.get("after") else None,
            "next_url": (
                f"{base}?{urlencode({**active, 'after': next_cursor})}" if next_cursor else None
            ),
        },
        status=422 if error else 200,
    )


urlpatterns = [
    path("grids/<str:code>/", grid_page, name="registry_grid"),
    path("buildings/<int:building_id>/", building_page, name="registry_building"),
    path("households/<int:household_id>/", household_page, name="registry_household"),
    path("persons/", person_list_page, name="registry_persons"),
    path("persons/<int:person_id>/", person_page, name="registry_person"),
]
