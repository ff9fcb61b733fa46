"""Importing buildings, dwellings and households.

Buildings are matched by address within the importer's area and take their grid from their
point (a point outside every grid of the area is an error naming the row); dwellings by
(building, number), and they take their building's grid; households by number, and they take
their dwelling's grid.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.utils.translation import gettext as _

from wangge.registry.enums import ImportKind
from wangge.registry.models import Building, Compound, Dwelling, Household

from . import cells
from .base import Importer
from .columns import BUILDING_COLUMNS, DWELLING_COLUMNS, HOUSEHOLD_COLUMNS
from .lookup import Place, Places, address_key


def _text(limit: int):
    return lambda value: cells.limited(value, limit)


class _PlaceImporter(Importer):
    """Shared plumbing: one pending list of creates and one of updates per chunk."""

    model: Any = Building

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.places = Places(self.scope_path)
        self.creates: list[dict] = []
        self.updates: list[tuple[int, dict]] = []
        self.seen: dict[object, int] = {}

    def duplicate(self, number: int, key: object, column: str) -> bool:
        first = self.seen.setdefault(key, number)
        if first != number:
            self.error(
                number,
                column,
                _("the same record is already on row %(row)s") % {"row": first},
                "duplicate_in_file",
            )
            return True
        return False

    def classify(self, current: Any, fields: dict) -> None:
        if current is None:
            self.outcome.created += 1
            self.creates.append(fields)
            return
        changed = {name: value for name, value in fields.items() if current.get(name) != value}
        if changed:
            self.outcome.updated += 1
            self.updates.append((current["id"], changed))
        else:
            self.outcome.unchanged += 1

    def write(self) -> None:
        made = self.model.objects.bulk_create(
            [self.model(**fields) for fields in self.creates], batch_size=500
        )
        for row in made:
            if row.grid_id:
                self.outcome.grid_ids.add(row.grid_id)
        for pk, changed in self.updates:
            self.model.objects.filter(pk=pk).update(**changed, version=F("version") + 1)
            if changed.get("grid_id"):
                self.outcome.grid_ids.add(changed["grid_id"])
        self.after_write(made)

    def after_write(self, made: list) -> None:
        """Make rows created in this chunk findable by the rows of the next chunks."""


class BuildingImporter(_PlaceImporter):
    kind = ImportKind.BUILDINGS
    columns = BUILDING_COLUMNS
    model = Building

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.compounds: dict[str, int | None] = {}

    def check(self, chunk: list[tuple[int, list]]) -> None:
        self.creates, self.updates = [], []
        rows = []
        for number, row in chunk:
            self.start_row()
            v = self.value
            data = {
                "name": v(number, row, "name", _text(64), required=True),
                "address": v(number, row, "address", _text(160), required=True),
                "compound": v(number, row, "compound", _text(64), default=""),
                "lng": v(
                    number, row, "lng", lambda x: cells.a_coordinate(x, limit=180), required=True
                ),
                "lat": v(
                    number, row, "lat", lambda x: cells.a_coordinate(x, limit=90), required=True
                ),
                "floors": v(number, row, "floors", lambda x: cells.a_count(x, low=1, high=300)),
                "entrances": v(
                    number, row, "entrances", lambda x: cells.a_count(x, low=1, high=99)
                ),
            }
            if data["address"] and self.duplicate(number, data["address"], "address"):
                continue
            if not self.row_bad:
                rows.append((number, data))
        grids = self.places.grids_at([d["lng"] for _n, d in rows], [d["lat"] for _n, d in rows])
        self.places.load_buildings(d["address"] for _n, d in rows)
        self._load_compounds({d["compound"] for _n, d in rows if d["compound"]})
        known = [self.places.building(data["address"]) for _n, data in rows]
        existing = {
            row["id"]: row
            for row in Building.objects.filter(
                id__in=[place.id for place in known if place is not None]
            ).values(
                "id", "name", "compound_id", "lng", "lat", "floors", "entrances", "grid_id", "path"
            )
        }
        for (number, data), grid in zip(rows, grids, strict=True):
            self.start_row()
            if grid is None:
                self.error(
                    number,
                    "lng",
                    _("the point lies outside every grid of your area"),
                    "outside_grids",
                )
                continue
            fields = {
                "name": data["name"],
                "address": data["address"],
                "compound_id": self.compounds.get(data["compound"]) if data["compound"] else None,
                "lng": data["lng"],
                "lat": data["lat"],
                "floors": data["floors"],
                "entrances": data["entrances"],
                "grid_id": grid[0],
                "path": grid[1],
            }
            if data["compound"] and fields["compound_id"] is None:
                fields["compound_name"] = data["compound"]
            place = self.places.building(data["address"])
            current = existing.get(place.id) if place and place.id else None
            if current is not None:
                fields.pop("address")
            self.classify(current, fields)

    def _load_compounds(self, names: set[str]) -> None:
        wanted = names - set(self.compounds)
        for name in wanted:
            self.compounds[name] = None
        for name, compound_id in Compound.objects.filter(
            path__startswith=self.scope_path, name__in=wanted
        ).values_list("name", "id"):
            self.compounds[name] = compound_id

    def write(self) -> None:
        # A compound named in the file but not in the register is created at its first building.
        for fields in [*self.creates, *(changed for _pk, changed in self.updates)]:
            name = fields.pop("compound_name", None)
            if name is None:
                continue
            if self.compounds.get(name) is None:
                compound = Compound.objects.create(
                    name=name,
                    grid_id=fields.get("grid_id"),
                    path=fields.get("path", self.scope_path),
                    lng=fields.get("lng"),
                    lat=fields.get("lat"),
                )
                self.compounds[name] = compound.pk
            fields["compound_id"] = self.compounds[name]
        super().write()

    def after_write(self, made: list) -> None:
        for building in made:
            self.places.buildings[building.address] = Place(
                building.pk, building.grid_id, building.path
            )


class DwellingImporter(_PlaceImporter):
    kind = ImportKind.DWELLINGS
    columns = DWELLING_COLUMNS
    model = Dwelling

    def check(self, chunk: list[tuple[int, list]]) -> None:
        self.creates, self.updates = [], []
        rows = []
        for number, row in chunk:
            self.start_row()
            v = self.value
            data = {
                "building_address": address_key(
                    v(number, row, "building_address", _text(160), required=True, default="")
                ),
                "number": v(number, row, "number", _text(16), required=True),
                "entrance": v(number, row, "entrance", lambda x: cells.a_count(x, low=1, high=99)),
                "floor": v(number, row, "floor", lambda x: cells.a_count(x, low=-9, high=300)),
                "use": v(number, row, "use", cells.dwelling_use, required=True),
                "area_m2": v(number, row, "area_m2", cells.a_number),
            }
            if data["area_m2"] is not None and not 0 < data["area_m2"] < 100_000:
                self.error(number, "area_m2", _("a floor area in m² above 0"), "out_of_range")
            if not self.row_bad:
                rows.append((number, data))
        self.places.load_buildings(d["building_address"] for _n, d in rows)
        keyed = []
        for number, data in rows:
            self.start_row()
            building = self.places.building(data["building_address"])
            if building is None:
                self.out_of_area(number, "building_address")
                continue
            if self.duplicate(number, (building.id, data["number"]), "number"):
                continue
            keyed.append((number, data, building))
        self.places.load_dwellings((b.id, d["number"]) for _n, d, b in keyed)
        ids = [p.id for _n, d, b in keyed if (p := self.places.dwelling(b.id, d["number"]))]
        existing = {
            row["id"]: row
            for row in Dwelling.objects.filter(id__in=ids).values(
                "id", "entrance", "floor", "use", "area_m2"
            )
        }
        for _number, data, building in keyed:
            place = self.places.dwelling(building.id, data["number"])
            current = existing.get(place.id) if place and place.id else None
            fields = {
                "entrance": data["entrance"],
                "floor": data["floor"],
                "use": data["use"],
                "area_m2": data["area_m2"],
            }
            if current is None:
                fields.update(
                    building_id=building.id,
                    number=data["number"],
                    grid_id=building.grid_id,
                    path=building.path,
                )
            self.classify(current, fields)


class HouseholdImporter(_PlaceImporter):
    kind = ImportKind.HOUSEHOLDS
    columns = HOUSEHOLD_COLUMNS
    model = Household

    def check(self, chunk: list[tuple[int, list]]) -> None:
        self.creates, self.updates = [], []
        rows = []
        for number, row in chunk:
            self.start_row()
            v = self.value
            data = {
                "number": v(number, row, "number", _text(32), required=True),
                "building_address": address_key(
                    v(number, row, "building_address", _text(160), required=True, default="")
                ),
                "dwelling_number": v(number, row, "dwelling_number", _text(16), required=True),
            }
            if data["number"] and self.duplicate(number, data["number"], "number"):
                continue
            if not self.row_bad:
                rows.append((number, data))
        self.places.load_buildings(d["building_address"] for _n, d in rows)
        pairs = []
        for _n, d in rows:
            building = self.places.building(d["building_address"])
            if building is not None:
                pairs.append((building.id, d["dwelling_number"]))
        self.places.load_dwellings(pairs)
        existing = {
            row["number"]: row
            for row in Household.objects.filter(number__in=[d["number"] for _n, d in rows]).values(
                "id", "number", "dwelling_id", "grid_id", "path"
            )
        }
        for number, data in rows:
            self.start_row()
            building = self.places.building(data["building_address"])
            if building is None:
                self.out_of_area(number, "building_address")
                continue
            dwelling = self.places.dwelling(building.id, data["dwelling_number"])
            if dwelling is None:
                self.error(
                    number,
                    "dwelling_number",
                    _("no such dwelling in that building"),
                    "dwelling_not_in_building",
                )
                continue
            current = existing.get(data["number"])
            if current is not None and not current["path"].startswith(self.scope_path):
                self.error(number, "number", _("this household number is taken"), "taken")
                continue
            fields = {
                "dwelling_id": dwelling.id,
                "grid_id": dwelling.grid_id,
                "path": dwelling.path,
            }
            if current is None:
                fields["number"] = data["number"]
            self.classify(current, fields)
