"""Which grid a record lies in: a point through the grid index, everything else through its place.

Buildings, compounds, facilities and organisations with a point take their grid from it; a
dwelling takes its building's grid, a household its dwelling's, a person their household's. When
grid boundaries change, `places_relocate` moves every record of the changed area in bulk.
"""

import numpy as np
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from wangge.core.errors import ValidationFailed
from wangge.orgs.grid_index import grid_index_reset, locate_point, locate_points
from wangge.orgs.models import OrgUnit

from .models import Building, Compound, Dwelling, Facility, Household, Organisation, Person

POINT_MODELS = (Compound, Building, Facility, Organisation)


def grid_at(lng: float | None, lat: float | None, *, field: str = "lng") -> OrgUnit:
    """The grid containing the point; a point outside every grid is refused, naming the field."""
    if lng is None or lat is None:
        raise ValidationFailed(
            _("Longitude and latitude are both required to place a record."),
            code="required",
            field=field,
        )
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValidationFailed(
            _("Longitude lies in -180…180 and latitude in -90…90 (WGS-84)."),
            code="out_of_range",
            field=field,
        )
    code = locate_point(lng, lat)
    grid = OrgUnit.objects.filter(code=code).first() if code else None
    if grid is None:
        raise ValidationFailed(
            _("The point (%(lng).6f, %(lat).6f) lies in no grid.") % {"lng": lng, "lat": lat},
            code="outside_grids",
            field=field,
        )
    return grid


def _relocate_points(model, path: str) -> set[int]:
    """Re-place the located rows of one model under `path`; returns the grids that changed."""
    rows = list(
        model.objects.filter(path__startswith=path, lng__isnull=False, lat__isnull=False)
        .order_by()
        .values_list("id", "lng", "lat", "grid_id")
    )
    if not rows:
        return set()
    ids, lngs, lats, old = zip(*rows, strict=True)
    codes = locate_points(np.array(lngs, dtype=float), np.array(lats, dtype=float))
    grids = {
        code: (grid_id, grid_path)
        for grid_id, code, grid_path in OrgUnit.objects.filter(code__in=set(codes) - {None})
        .values_list("id", "code", "path")
        .order_by()
    }
    moves: dict[tuple[int, str], list[int]] = {}
    touched: set[int] = set()
    for row_id, code, old_grid in zip(ids, codes, old, strict=True):
        target = grids.get(code) if code else None
        if target is None or target[0] == old_grid:
            continue  # unchanged, or now outside every grid: it keeps its last grid
        moves.setdefault(target, []).append(row_id)
        touched.update({target[0], old_grid} - {None})
    for (grid_id, grid_path), moved in moves.items():
        model.objects.filter(id__in=moved).update(grid_id=grid_id, path=grid_path)
    return touched


def _follow(model, parent_field: str, parent_model, parent_ids) -> None:
    parent = parent_model.objects.filter(pk=OuterRef(parent_field))
    model.objects.filter(**{f"{parent_field}__in": parent_ids}).update(
        grid_id=Subquery(parent.values("grid_id")[:1]), path=Subquery(parent.values("path")[:1])
    )


def places_relocate(path: str) -> set[int]:
    """Move every register record under `path` to the grid its place now lies in.

    Returns the ids of grids whose contents changed, so their counts can be refreshed.
    """
    touched: set[int] = set()
    for model in POINT_MODELS:
        touched |= _relocate_points(model, path)
    if not touched:
        return touched
    buildings = Building.objects.filter(grid_id__in=touched).values("id")
    _follow(Dwelling, "building_id", Building, buildings)
    dwellings = Dwelling.objects.filter(grid_id__in=touched).values("id")
    _follow(Household, "dwelling_id", Dwelling, dwellings)
    households = Household.objects.filter(grid_id__in=touched).values("id")
    _follow(Person, "household_id", Household, households)
    return touched


def relocate_after_boundary_change(path: str) -> None:
    """The orgs boundary hook: re-place records, then refresh the counts of the grids touched.

    The index is rebuilt first: inside this transaction the new boundaries are already visible,
    and the process-wide index would otherwise wait for its next periodic recheck.
    """
    grid_index_reset()
    touched = places_relocate(path)
    if touched:
        from .rollups import grid_counts_refresh

        grid_counts_refresh(sorted(touched))
