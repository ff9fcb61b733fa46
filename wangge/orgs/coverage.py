"""Coverage: does every community's area belong to exactly one grid?

Gaps are the parts of a community that no active grid covers; overlaps are the parts two grids
share. Both are measured in m² in the community's local metric frame. Findings smaller than
WANGGE_COVERAGE_MIN_AREA_M2, and gaps thinner than WANGGE_GRID_TOLERANCE_M (slivers between
borders digitised separately), are noise and left out.
"""

import shapely
from django.conf import settings
from shapely.geometry import shape

from wangge.core.scope import scope_q

from .enums import GRID_KINDS, OrgUnitKind
from .geometry import LocalProjection, pairwise_overlaps, to_geojson
from .models import OrgUnit
from .permissions import visible_paths
from .selectors import org_unit_get


def coverage_report(*, actor, community_code: str | None = None) -> list[dict]:
    """Per community in the actor's scope: {"community", "gaps": [...], "overlaps": [...]}."""
    found = OrgUnit.objects.filter(
        kind=OrgUnitKind.COMMUNITY, is_active=True, boundary__isnull=False
    )
    if community_code:
        unit = org_unit_get(actor=actor, code=community_code)
        found = found.filter(pk=unit.pk)
    else:
        found = found.filter(scope_q(visible_paths(actor)))
    communities = list(found.order_by("path"))
    grids = _grids_by_community(communities)
    return [_community_report(c, grids.get(c.code, [])) for c in communities]


def _grids_by_community(communities) -> dict[str, list[tuple[str, object]]]:
    found: dict[str, list] = {}
    if not communities:
        return found
    rows = (
        OrgUnit.objects.filter(
            scope_q([c.path for c in communities]),
            kind__in=GRID_KINDS,
            is_active=True,
            boundary__isnull=False,
        )
        .order_by("code")
        .values_list("code", "boundary")
    )
    for code, boundary in rows:
        found.setdefault(code[:12], []).append((code, shape(boundary)))
    return found


def _community_report(community: OrgUnit, grids: list[tuple[str, object]]) -> dict:
    area = shape(community.boundary)
    projection = LocalProjection.around(area)
    area_m = projection.to_metric(area)
    grids_m = [projection.to_metric(geom) for _code, geom in grids]
    min_area = settings.WANGGE_COVERAGE_MIN_AREA_M2
    half_tolerance = settings.WANGGE_GRID_TOLERANCE_M / 2

    gaps = []
    uncovered = area_m.difference(shapely.union_all(grids_m)) if grids_m else area_m
    for piece in shapely.get_parts(uncovered):
        if piece.area < min_area or piece.buffer(-half_tolerance).is_empty:
            continue
        gaps.append(_finding(piece, projection))
    overlaps = [
        {"grids": [grids[i][0], grids[j][0]], **_finding(piece, projection)}
        for i, j, piece in pairwise_overlaps(grids_m, min_area)
    ]
    return {"community": community.code, "name": community.name, "gaps": gaps, "overlaps": overlaps}


def _finding(piece_m, projection: LocalProjection) -> dict:
    return {
        "area_m2": round(float(piece_m.area), 1),
        "where": projection.lnglat(piece_m.representative_point()),
        "geometry": to_geojson(projection.to_lnglat(piece_m)),
    }
