"""Boundaries: GeoJSON ↔ Shapely 2 geometries, validation with specific errors, metric measures.

Coordinates are WGS-84 (CGCS2000) [lng, lat]. Areas, distances and the tolerance buffer use a local
equirectangular projection centred on the geometry (or on the community when grids are compared
with each other). Over a few kilometres its scale error is below 0.01 %, and it needs no
pyproj/GDAL. Every refusal is a ValidationFailed whose detail names the feature and, where it
helps, the place ([lng, lat]) and the area in m².
"""

import math
import re
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import LineString, MultiPolygon, Polygon

from wangge.core.errors import ValidationFailed

EARTH_RADIUS_M = 6_371_008.8
AREA_TYPES = ("Polygon", "MultiPolygon")
_WHERE = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)")

Areal: TypeAlias = Polygon | MultiPolygon


METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)


def metres_between(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Equirectangular distance: within a few hundred metres it is as good as great-circle."""
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * EARTH_RADIUS_M


def invalid(
    code: str, message: str, *, feature: str, field: str = "boundary", **detail
) -> ValidationFailed:
    """A ValidationFailed whose detail always names the feature (the unit's code)."""
    return ValidationFailed(message, code=code, field=field, detail={"feature": feature, **detail})


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular metres around (lng0, lat0): x east, y north."""

    lng0: float
    lat0: float

    @classmethod
    def around(cls, geom) -> "LocalProjection":
        centre = geom.centroid if not geom.is_empty else None
        if centre is None or centre.is_empty:
            return cls(0.0, 0.0)
        return cls(centre.x, centre.y)

    @property
    def _kx(self) -> float:
        return math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    @property
    def _ky(self) -> float:
        return math.radians(1) * EARTH_RADIUS_M

    def to_metric(self, geom):
        kx, ky, lng0, lat0 = self._kx, self._ky, self.lng0, self.lat0
        return shapely.transform(geom, lambda xy: (xy - (lng0, lat0)) * (kx, ky))

    def to_lnglat(self, geom):
        kx, ky, lng0, lat0 = self._kx, self._ky, self.lng0, self.lat0
        return shapely.transform(geom, lambda xy: xy / (kx, ky) + (lng0, lat0))

    def lnglat(self, point) -> list[float]:
        """A metric point as a rounded [lng, lat] for messages and the map."""
        back = self.to_lnglat(point)
        return [round(back.x, 7), round(back.y, 7)]


def area_m2(geom) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    return float(LocalProjection.around(geom).to_metric(geom).area)


def geometry_fields(geom) -> dict:
    """area_m2 and centroid, stored beside a boundary (None when there is no boundary)."""
    if geom is None:
        return {"area_m2": None, "centroid_lng": None, "centroid_lat": None}
    centroid = geom.centroid
    return {
        "area_m2": round(area_m2(geom), 2),
        "centroid_lng": round(centroid.x, 7),
        "centroid_lat": round(centroid.y, 7),
    }


def where(geom) -> list[float]:
    """A point inside `geom` (WGS-84) as [lng, lat], where the map should point."""
    point = geom.representative_point()
    return [round(point.x, 7), round(point.y, 7)]


def to_geojson(geom) -> dict:
    """GeoJSON with lists (not tuples), so that it compares equal after a JSON round trip."""
    if isinstance(geom, Polygon):
        return {"type": "Polygon", "coordinates": _polygon_coords(geom)}
    if isinstance(geom, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [_polygon_coords(p) for p in geom.geoms]}
    return shapely.geometry.mapping(geom)


def polygonal(geom):
    """Only the areal part of an overlay result (drops the lines and points it may carry)."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [part for part in shapely.get_parts(geom) if isinstance(part, Polygon)]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _polygon_coords(polygon: Polygon) -> list:
    rings = [polygon.exterior, *polygon.interiors]
    return [[[float(x), float(y)] for x, y in ring.coords] for ring in rings]


def normalise(data: Any) -> dict:
    """The stored form of a valid boundary: only type and coordinates, numbers as floats."""

    def walk(value):
        if isinstance(value, list | tuple):
            return [walk(item) for item in value]
        return float(value)

    return {"type": data["type"], "coordinates": walk(data["coordinates"])}


def parse_boundary(data, *, feature: str, field: str = "boundary") -> Areal:
    """A GeoJSON Polygon/MultiPolygon as a valid Shapely geometry, or the precise reason why not."""
    if not isinstance(data, dict) or "type" not in data:
        raise invalid(
            "geojson_malformed",
            _("%(feature)s: the boundary is not a GeoJSON geometry object.") % {"feature": feature},
            feature=feature,
            field=field,
        )
    kind = data.get("type")
    if kind not in AREA_TYPES:
        raise invalid(
            "geometry_type",
            _("%(feature)s: the boundary must be a Polygon or a MultiPolygon, not %(type)s.")
            % {"feature": feature, "type": kind},
            feature=feature,
            field=field,
        )
    coords = data.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise _malformed(feature, field, _("it has no coordinates"))
    shells = [_parse_polygon(rings, feature=feature, field=field) for rings in polygons]
    geom = shells[0] if kind == "Polygon" else MultiPolygon(shells)
    _require_valid(geom, feature=feature, field=field)
    return geom


def _malformed(feature: str, field: str, reason: str) -> ValidationFailed:
    return invalid(
        "geojson_malformed",
        _("%(feature)s: the boundary is malformed GeoJSON: %(reason)s.")
        % {"feature": feature, "reason": reason},
        feature=feature,
        field=field,
    )


def _parse_polygon(rings, *, feature: str, field: str) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise _malformed(feature, field, _("a polygon must be a list of rings"))
    parsed = [_parse_positions(ring, feature=feature, field=field) for ring in rings]
    for ring in parsed:
        if len(ring) < 4:
            raise _malformed(feature, field, _("a ring needs at least 4 positions"))
        if ring[0] != ring[-1]:
            raise _malformed(feature, field, _("a ring must end where it starts"))
    return Polygon(parsed[0], parsed[1:])


def _parse_positions(ring, *, feature: str, field: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list):
        raise _malformed(feature, field, _("a ring must be a list of positions"))
    positions = []
    for position in ring:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(_is_number(value) for value in position[:2])
        ):
            raise _malformed(feature, field, _("a position must be [longitude, latitude]"))
        lng, lat = float(position[0]), float(position[1])
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise invalid(
                "coordinates_out_of_range",
                _(
                    "%(feature)s: position [%(lng)s, %(lat)s] is outside longitude "
                    "-180…180 / latitude -90…90 (positions are [longitude, latitude])."
                )
                % {"feature": feature, "lng": lng, "lat": lat},
                feature=feature,
                field=field,
                where=[lng, lat],
            )
        positions.append((lng, lat))
    return positions


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _require_valid(geom: Areal, *, feature: str, field: str) -> None:
    reason = shapely.is_valid_reason(geom)
    if reason != "Valid Geometry":
        point = _reason_point(reason)
        if "Self-intersection" in reason:
            raise invalid(
                "self_intersection",
                _("%(feature)s: the boundary crosses itself near %(where)s.")
                % {"feature": feature, "where": point},
                feature=feature,
                field=field,
                where=point,
            )
        raise invalid(
            "geometry_invalid",
            _("%(feature)s: the boundary is not a valid polygon (%(reason)s).")
            % {"feature": feature, "reason": reason},
            feature=feature,
            field=field,
            where=point,
        )
    if geom.area <= 0:
        raise invalid(
            "geometry_invalid",
            _("%(feature)s: the boundary encloses no area.") % {"feature": feature},
            feature=feature,
            field=field,
        )


def _reason_point(reason: str) -> list[float] | None:
    match = _WHERE.search(reason)
    if not match:
        return None
    try:
        return [float(match.group(1)), float(match.group(2))]
    except ValueError:
        return None


def parse_line(data, *, feature: str, field: str = "line") -> LineString:
    """A GeoJSON LineString (the cut of a split); every fault is `split_line_invalid`."""

    def refuse(reason: str) -> ValidationFailed:
        return invalid(
            "split_line_invalid",
            _("%(feature)s: the split line is invalid: %(reason)s.")
            % {"feature": feature, "reason": reason},
            feature=feature,
            field=field,
        )

    if not isinstance(data, dict) or data.get("type") != "LineString":
        raise refuse(_("it must be a GeoJSON LineString"))
    coords = data.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise refuse(_("it needs at least two positions"))
    try:
        positions = _parse_positions(coords, feature=feature, field=field)
    except ValidationFailed as exc:
        raise refuse(str(exc.message)) from exc
    line = LineString(positions)
    if line.length <= 0:
        raise refuse(_("it has no length"))
    return line


# --- checks between geometries (all in one projection's metres) --------------------------------


def outside_part(inner_m, outer_m, outer_buffered_m) -> tuple[float, Any] | None:
    """How much of `inner_m` lies outside `outer_m`, if any of it lies beyond the tolerance buffer.

    Returns (area sticking out in m², a metric point inside the part beyond the tolerance).
    """
    if outer_buffered_m.covers(inner_m):
        return None
    beyond = inner_m.difference(outer_buffered_m)
    if beyond.is_empty or beyond.area <= 0:
        return None
    return float(inner_m.difference(outer_m).area), beyond.representative_point()


def pairwise_overlaps(geoms_m: list, min_area_m2: float) -> list[tuple[int, int, Any]]:
    """(i, j, intersection) for every pair i < j whose overlap is at least `min_area_m2`."""
    if len(geoms_m) < 2:
        return []
    array = np.asarray(geoms_m, dtype=object)
    tree = shapely.STRtree(array)
    left, right = tree.query(array, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not left.size:
        return []
    pieces = [polygonal(piece) for piece in shapely.intersection(array[left], array[right])]
    areas = shapely.area(pieces)
    return [
        (int(i), int(j), piece)
        for i, j, piece, area in zip(left, right, pieces, areas, strict=True)
        if area >= min_area_m2 and area > 0
    ]
