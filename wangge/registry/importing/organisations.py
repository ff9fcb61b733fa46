"""Importing organisations: matched by unified social credit code (or, without one, by name and
address within the area); placed by their point, or by the building at their address."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from wangge.core.crypto import decrypt, encrypt, normalize_phone
from wangge.registry.enums import ImportKind
from wangge.registry.identity import CONTACT_PHONE_AAD, phone_problem
from wangge.registry.models import Organisation

from . import cells
from .columns import ORGANISATION_COLUMNS
from .lookup import address_key
from .places import _PlaceImporter, _text

CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class OrganisationImporter(_PlaceImporter):
    kind = ImportKind.ORGANISATIONS
    columns = ORGANISATION_COLUMNS
    model = Organisation

    def check(self, chunk: list[tuple[int, list]]) -> None:
        self.creates, self.updates = [], []
        rows = []
        for number, row in chunk:
            self.start_row()
            v = self.value
            data = {
                "name": v(number, row, "name", _text(128), required=True),
                "kind": v(number, row, "kind", cells.organisation_kind, required=True),
                "credit_code": v(number, row, "credit_code", _text(18), default="").upper(),
                "contact_name": v(number, row, "contact_name", _text(64), default=""),
                "contact_phone": v(number, row, "contact_phone", _text(32), default=""),
                "address": address_key(v(number, row, "address", _text(160), default="")),
                "lng": v(number, row, "lng", lambda x: cells.a_coordinate(x, limit=180)),
                "lat": v(number, row, "lat", lambda x: cells.a_coordinate(x, limit=90)),
            }
            if data["credit_code"] and not CREDIT_CODE_RE.match(data["credit_code"]):
                self.error(
                    number,
                    "credit_code",
                    _("a unified social credit code has 18 digits and capital letters"),
                    "invalid_credit_code",
                )
            if data["contact_phone"] and (problem := phone_problem(data["contact_phone"])):
                self.error(number, "contact_phone", problem, "invalid_phone")
            if (data["lng"] is None) != (data["lat"] is None):
                self.error(number, "lng", _("give both longitude and latitude"), "required")
            key = data["credit_code"] or (data["name"], data["address"])
            if data["name"] and self.duplicate(number, key, "name"):
                continue
            if not self.row_bad:
                rows.append((number, data))
        located = [(n, d) for n, d in rows if d["lng"] is not None]
        grids = dict(
            zip(
                [n for n, _d in located],
                self.places.grids_at(
                    [d["lng"] for _n, d in located], [d["lat"] for _n, d in located]
                ),
                strict=True,
            )
        )
        self.places.load_buildings(d["address"] for _n, d in rows if d["address"])
        existing = self._existing(rows)
        for number, data in rows:
            self.start_row()
            building = self.places.building(data["address"]) if data["address"] else None
            grid_id: int | None
            if data["lng"] is not None:
                grid = grids.get(number)
                if grid is None:
                    self.error(
                        number,
                        "lng",
                        _("the point lies outside every grid of your area"),
                        "outside_grids",
                    )
                    continue
                grid_id, path = grid
            elif building is not None:
                grid_id, path = building.grid_id, building.path
            else:
                self.error(
                    number,
                    "address",
                    _("give a point, or the address of a building in the register of your area"),
                    "not_placed",
                )
                continue
            key = data["credit_code"] or (data["name"], data["address"])
            current = existing.get(key)
            fields = {
                "name": data["name"],
                "kind": data["kind"],
                "credit_code": data["credit_code"],
                "contact_name": data["contact_name"],
                "address": data["address"],
                "building_id": building.id if building else None,
                "lng": data["lng"],
                "lat": data["lat"],
                "grid_id": grid_id,
                "path": path,
            }
            phone = normalize_phone(data["contact_phone"]) if data["contact_phone"] else ""
            if current is None or current["phone"] != phone:
                fields["contact_phone_encrypted"] = (
                    encrypt(phone, aad=CONTACT_PHONE_AAD) if phone else None
                )
            if current is not None:
                current = {**current, "contact_phone_encrypted": current.get("blob")}
            self.classify(current, fields)

    def _existing(self, rows: list[tuple[int, dict]]) -> dict:
        codes = [d["credit_code"] for _n, d in rows if d["credit_code"]]
        names = [d["name"] for _n, d in rows if not d["credit_code"]]
        query = Organisation.objects.filter(path__startswith=self.scope_path)
        found: dict = {}
        fields = (
            "id",
            "name",
            "kind",
            "credit_code",
            "contact_name",
            "address",
            "building_id",
            "lng",
            "lat",
            "grid_id",
            "path",
            "contact_phone_encrypted",
        )
        for row in query.filter(credit_code__in=codes).values(*fields) if codes else []:
            found[row["credit_code"]] = row
        for row in query.filter(name__in=names, credit_code="").values(*fields) if names else []:
            found[(row["name"], row["address"])] = row
        for row in found.values():
            blob = row.pop("contact_phone_encrypted")
            row["blob"] = blob
            row["phone"] = decrypt(blob, aad=CONTACT_PHONE_AAD) if blob else ""
        return found
