"""Where grids may lie: inside their community (within a tolerance) and not over each other.

The same function serves single edits (a few grids) and imports (a whole community at once): it
projects the community and its grids into one local metric frame and reports every breach as a
ValidationFailed naming the grid, the other grid, the area in m² and where it is.
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

from wangge.core.errors import ValidationFailed

from .geometry import LocalProjection, invalid, outside_part, pairwise_overlaps


def grid_placement_errors(
    *,
    community_code: str,
    community_geom,
    grids: dict[str, object],
    check: Iterable[str],
    overlaps: bool = True,
) -> list[ValidationFailed]:
    """Breaches that involve a grid in `check`, among the community's active `grids` (code → geom).

    `grids` is the state after the change (changed grids with their new boundary). Pass every
    grid code in `check` (and overlaps=False) when only the community's own boundary changed.
    """
    check = set(check) & set(grids)
    if not check:
        return []
    codes = sorted(grids)
    frame_of = community_geom if community_geom is not None else grids[codes[0]]
    projection = LocalProjection.around(frame_of)
    metric = {code: projection.to_metric(grids[code]) for code in codes}
    errors: list[ValidationFailed] = []
    if community_geom is not None:
        errors += _outside_errors(
            community_code, projection, projection.to_metric(community_geom), metric, sorted(check)
        )
    if not overlaps:
        return errors
    min_area = settings.WANGGE_COVERAGE_MIN_AREA_M2
    for i, j, piece in pairwise_overlaps([metric[code] for code in codes], min_area):
        first, second = codes[i], codes[j]
        if first not in check and second not in check:
            continue
        feature, other = (first, second) if first in check else (second, first)
        area, point = round(float(piece.area), 1), projection.lnglat(piece.representative_point())
        errors.append(
            invalid(
                "grid_overlap",
                _(
                    "%(feature)s: the grid overlaps grid %(other)s by %(area)s m² near "
                    "%(where)s; grids of one community must not overlap."
                )
                % {"feature": feature, "other": other, "area": area, "where": point},
                feature=feature,
                other=other,
                area_m2=area,
                where=point,
            )
        )
    return errors


def _outside_errors(community_code, projection, community_m, metric, codes) -> list:
    tolerance = settings.WANGGE_GRID_TOLERANCE_M
    buffered = community_m.buffer(tolerance)
    errors = []
    for code in codes:
        found = outside_part(metric[code], community_m, buffered)
        if found is None:
            continue
        area, point = round(found[0], 1), projection.lnglat(found[1])
        errors.append(
            invalid(
                "grid_outside_community",
                _(
                    "%(feature)s: %(area)s m² of the grid lie outside community %(other)s (near "
                    "%(where)s); a grid must lie inside its community within %(tolerance)s m."
                )
                % {
                    "feature": code,
                    "area": area,
                    "other": community_code,
                    "where": point,
                    "tolerance": tolerance,
                },
                feature=code,
                other=community_code,
                area_m2=area,
                where=point,
            )
        )
    return errors
