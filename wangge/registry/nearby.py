"""Which compound a point lies in, by its nearest building: cases use it to offer the
compound's sponsor unit as handler and to build the sponsor units' weekly issue lists.

Compounds carry no outline in the register, only their buildings' points; a point within
NEAR_METRES of a compound's building (in the same grid) is taken to be in that compound.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from wangge.orgs.geometry import metres_between

from .models import Building

NEAR_METRES = 120.0


@dataclass(frozen=True)
class NearCompound:
    compound_id: int
    name: str
    sponsor_unit_id: int | None
    metres: float


def compounds_near_points(
    points: Sequence[tuple[int, int | None, float | None, float | None]],
    *,
    radius: float = NEAR_METRES,
) -> dict[int, NearCompound]:
    """{key: nearest compound} for (key, grid id, lng, lat) points; one query per grid."""
    by_grid: dict[int, list[tuple[int, float, float]]] = {}
    for key, grid_id, lng, lat in points:
        if grid_id is not None and lng is not None and lat is not None:
            by_grid.setdefault(grid_id, []).append((key, lng, lat))
    found: dict[int, NearCompound] = {}
    for grid_id, items in by_grid.items():
        buildings = list(
            Building.objects.filter(
                grid_id=grid_id, compound__isnull=False, lng__isnull=False, lat__isnull=False
            ).values_list(
                "lng", "lat", "compound_id", "compound__name", "compound__sponsor_unit_id"
            )
        )
        for key, lng, lat in items:
            best: NearCompound | None = None
            for b_lng, b_lat, compound_id, name, sponsor_id in buildings:
                if b_lng is None or b_lat is None:  # filtered out above; for the type checker
                    continue
                metres = metres_between(lng, lat, b_lng, b_lat)
                if metres <= radius and (best is None or metres < best.metres):
                    best = NearCompound(compound_id, name, sponsor_id, metres)
            if best is not None:
                found[key] = best
    return found


def compound_near(
    *, grid_id: int | None, lng: float | None, lat: float | None
) -> NearCompound | None:
    return compounds_near_points([(0, grid_id, lng, lat)]).get(0)
