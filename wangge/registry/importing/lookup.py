"""Links from a row to the register, resolved a chunk at a time and remembered for the file.

Only records under the importer's scope path are found: a building of another community is as
absent as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from wangge.core.crypto import normalize_text
from wangge.orgs.grid_index import locate_points
from wangge.orgs.models import OrgUnit
from wangge.registry.models import Building, Dwelling

from .cells import text


@dataclass(frozen=True)
class Place:
    id: int | None  # None while it exists only in the file (checked, not yet written)
    grid_id: int | None
    path: str


def address_key(value: object) -> str:
    return normalize_text(text(value))


class Places:
    def __init__(self, scope_path: str) -> None:
        self.scope_path = scope_path
        self.buildings: dict[str, Place | None] = {}
        self.dwellings: dict[tuple[int | None, str], Place | None] = {}
        self.grids: dict[str, tuple[int, str] | None] = {}

    def load_buildings(self, addresses) -> None:
        wanted = {a for a in addresses if a and a not in self.buildings}
        if not wanted:
            return
        for address in wanted:
            self.buildings[address] = None
        rows = (
            Building.objects.filter(path__startswith=self.scope_path, address__in=wanted)
            .order_by("-id")  # the oldest wins when two share an address
            .values_list("address", "id", "grid_id", "path")
        )
        for address, building_id, grid_id, path in rows:
            self.buildings[address] = Place(building_id, grid_id, path)

    def building(self, address: str) -> Place | None:
        return self.buildings.get(address)

    def load_dwellings(self, pairs) -> None:
        wanted = {pair for pair in pairs if pair not in self.dwellings}
        if not wanted:
            return
        for pair in wanted:
            self.dwellings[pair] = None
        building_ids = {building_id for building_id, _number in wanted}
        numbers = {number for _building_id, number in wanted}
        rows = Dwelling.objects.filter(
            building_id__in=building_ids, number__in=numbers, path__startswith=self.scope_path
        ).values_list("building_id", "number", "id", "grid_id", "path")
        for building_id, number, dwelling_id, grid_id, path in rows:
            if (building_id, number) in wanted:
                self.dwellings[(building_id, number)] = Place(dwelling_id, grid_id, path)

    def dwelling(self, building_id: int | None, number: str) -> Place | None:
        return self.dwellings.get((building_id, number))

    def grids_at(self, lngs: list[float], lats: list[float]) -> list[tuple[int, str] | None]:
        """(grid id, path) of the grid holding each point, None outside every grid in scope."""
        if not lngs:
            return []
        codes = list(locate_points(lngs, lats))
        unknown = {code for code in codes if code is not None and code not in self.grids}
        if unknown:
            for code in unknown:
                self.grids[code] = None
            for code, grid_id, path in OrgUnit.objects.filter(code__in=unknown).values_list(
                "code", "id", "path"
            ):
                if path.startswith(self.scope_path):
                    self.grids[code] = (grid_id, path)
        return [self.grids.get(code) if code is not None else None for code in codes]
