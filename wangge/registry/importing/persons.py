"""Importing persons: ID number rules, household links, matching by ID number, fast insert.

A row is matched to the register by the blind index of its ID number: a match in scope is an
update (or unchanged, when every field in the file equals the register), no match is a create,
and a match outside the importer's area is an error (the unique index would refuse it anyway,
and moving a person between communities is a transfer request, not an import's business). That
error names no place and is a probe (id_probes.py): counted per row against the user's
allowance, audited once per chunk, and the check stops with a file error once it is used up.
A person takes grid and path from their household, which takes them from its dwelling's building.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from wangge.core.crypto import decrypt, id_number_index, normalize_id_number, phone_index
from wangge.registry.enums import ImportKind
from wangge.registry.id_probes import TransferRequired, id_probe_audit, id_probe_take
from wangge.registry.identity import (
    ADDRESS_AAD,
    encrypted_identifiers,
    id_birth_date,
    id_gender,
    id_number_problem,
    phone_problem,
)
from wangge.registry.models import Household, Person, RecordChange

from . import cells
from .base import Importer, adapt_date, adapt_datetime, insert_rows
from .columns import PERSON_COLUMNS
from .lookup import Place, Places, address_key
from .namekeys import fast_name_keys

INSERT_FIELDS = (
    "name",
    "given_name",
    "name_pinyin",
    "name_initials",
    "gender",
    "birth_date",
    "id_number_encrypted",
    "id_number_index",
    "id_tail_index",
    "phone_encrypted",
    "phone_index",
    "phone_tail_index",
    "registered_address_encrypted",
    "ethnicity",
    "residence_status",
    "party_member",
    "employer",
    "household_id",
    "relationship",
    "move_in_date",
    "grid_id",
    "path",
    "version",
    "created_at",
    "updated_at",
)
# Compared with the register to tell an update from an unchanged row; the encrypted ones are
# compared through their blind index (phone) or by decrypting the one stored value (address).
PLAIN_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "residence_status",
    "party_member",
    "employer",
    "household_id",
    "relationship",
    "move_in_date",
)
EXISTING_FIELDS = (
    "id",
    "id_number_index",
    "path",
    "grid_id",
    "phone_index",
    "registered_address_encrypted",
    *PLAIN_FIELDS,
)


@dataclass
class NewHousehold:
    number: str
    dwelling: Place
    row: int
    id: int | None = None


class PersonImporter(Importer):
    kind = ImportKind.PERSONS
    columns = PERSON_COLUMNS

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.places = Places(self.scope_path)
        self.seen: dict[str, int] = {}  # normalised ID number → first row
        self.households: dict[str, Place | NewHousehold | None] = {}
        self.creates: list[dict] = []
        self.updates: list[tuple[dict, dict, list[str]]] = []
        self.new_households: list[NewHousehold] = []

    # --- checking --------------------------------------------------------------------------

    def _parse(self, number: int, row: list) -> dict | None:
        self.start_row()
        v = self.value
        data = {
            "name": v(number, row, "name", lambda x: cells.limited(x, 64), required=True),
            "gender": v(number, row, "gender", cells.gender, required=True),
            "birth_date": v(number, row, "birth_date", cells.a_date, required=True),
            "ethnicity": v(number, row, "ethnicity", lambda x: cells.limited(x, 16), default=""),
            "residence_status": v(
                number, row, "residence_status", cells.residence_status, required=True
            ),
            "employer": v(number, row, "employer", lambda x: cells.limited(x, 64), default=""),
            "relationship": v(number, row, "relationship", cells.relationship, required=True),
            "move_in_date": v(number, row, "move_in_date", cells.a_date),
            "household_number": v(
                number, row, "household_number", lambda x: cells.limited(x, 32), required=True
            ),
        }
        if self.present("party_member"):
            data["party_member"] = v(number, row, "party_member", cells.yes_no, default=False)
        elif self.present("political_status"):
            data["party_member"] = v(
                number, row, "political_status", cells.political_status, default=False
            )
        id_text = v(number, row, "id_number", lambda x: cells.limited(x, 32), required=True)
        data["id_number"] = ""
        if id_text:
            id_number = normalize_id_number(id_text)
            problem = id_number_problem(id_number)
            if problem:
                self.error(number, "id_number", problem, "invalid_id_number")
            else:
                data["id_number"] = id_number
                if data["birth_date"] and id_birth_date(id_number) != data["birth_date"]:
                    self.error(
                        number,
                        "birth_date",
                        _("does not agree with the birth date in the ID number"),
                        "birth_date_mismatch",
                    )
                if data["gender"] and id_gender(id_number) != data["gender"]:
                    self.error(
                        number,
                        "gender",
                        _("does not agree with the gender in the ID number"),
                        "gender_mismatch",
                    )
                first = self.seen.setdefault(id_number, number)
                if first != number:
                    self.error(
                        number,
                        "id_number",
                        _("the same ID number is already on row %(row)s") % {"row": first},
                        "duplicate_in_file",
                    )
        phone = v(number, row, "phone", lambda x: cells.limited(x, 32), default="")
        if phone and (problem := phone_problem(phone)):
            self.error(number, "phone", problem, "invalid_phone")
        data["phone"] = phone
        data["registered_address"] = v(
            number, row, "registered_address", lambda x: cells.limited(x, 160), default=""
        )
        data["building_address"] = address_key(self.raw(row, "building_address"))[:160]
        data["dwelling_number"] = cells.text(self.raw(row, "dwelling_number"))[:16]
        return None if self.row_bad else data

    def _resolve_households(self, rows: list[tuple[int, dict]]) -> None:
        numbers = {data["household_number"] for _n, data in rows} - set(self.households)
        if numbers:
            found = Household.objects.filter(number__in=numbers).values_list(
                "number", "id", "grid_id", "path"
            )
            for number in numbers:
                self.households[number] = None
            for number, household_id, grid_id, path in found:
                # Out of scope: neither usable nor creatable (the number is taken).
                self.households[number] = (
                    Place(household_id, grid_id, path)
                    if path.startswith(self.scope_path)
                    else NewHousehold(number, Place(None, None, ""), row=0)
                )
        pending = [
            (n, d)
            for n, d in rows
            if self.households.get(d["household_number"]) is None and d["building_address"]
        ]
        self.places.load_buildings(d["building_address"] for _n, d in pending)
        pairs = []
        for _n, d in pending:
            building = self.places.building(d["building_address"])
            if building is not None and d["dwelling_number"]:
                pairs.append((building.id, d["dwelling_number"]))
        self.places.load_dwellings(pairs)

    def _household_for(self, number: int, data: dict) -> Place | NewHousehold | None:
        key = data["household_number"]
        household = self.households.get(key)
        if isinstance(household, NewHousehold) and household.row == 0:
            # Another area's household: only someone creating that number learns it is taken.
            if data["building_address"]:
                self.error(number, "household_number", _("this household number is taken"), "taken")
            else:
                self.out_of_area(number, "household_number")
            return None
        if household is not None:
            return household
        if not data["building_address"]:
            self.out_of_area(number, "household_number")
            return None
        building = self.places.building(data["building_address"])
        if building is None:
            self.out_of_area(number, "building_address")
            return None
        dwelling = self.places.dwelling(building.id, data["dwelling_number"])
        if dwelling is None:
            self.error(
                number,
                "dwelling_number",
                _("no such dwelling in that building"),
                "dwelling_not_in_building",
            )
            return None
        created = NewHousehold(key, dwelling, number)
        self.households[key] = created
        self.new_households.append(created)
        return created

    def check(self, chunk: list[tuple[int, list]]) -> None:
        self.creates, self.updates, self.new_households = [], [], []
        parsed = [(n, data) for n, row in chunk if (data := self._parse(n, row)) is not None]
        self._resolve_households(parsed)
        indexes = {}
        for n, data in parsed:
            data["index"] = id_number_index(data["id_number"])
            indexes[data["index"]] = n
        existing = {
            row["id_number_index"]: row
            for row in Person.objects.filter(id_number_index__in=list(indexes)).values(
                *EXISTING_FIELDS
            )
        }
        probes = 0
        try:
            for n, data in parsed:
                self.start_row()
                household = self._household_for(n, data)
                if household is None:
                    continue
                current = existing.get(data["index"])
                if current is not None and not current["path"].startswith(self.scope_path):
                    id_probe_take(self.actor, source="import")
                    probes += 1
                    # person_create's answer (TransferRequired), in the row list's style.
                    message = _(
                        "this ID number cannot be registered here; if the person moved into "
                        "your area, request a transfer"
                    )
                    self.error(n, "id_number", message, TransferRequired.code)
                    continue
                self._sort(data, household, current)
        finally:
            if probes:
                id_probe_audit(self.actor, source="import", count=probes)

    def _sort(self, data: dict, household, current: dict | None) -> None:
        """A create, an update or an unchanged row."""
        data["household"] = household
        if current is None:
            self.outcome.created += 1
            self.creates.append(data)
            return
        changed = self._changes(current, data)
        if changed:
            self.outcome.updated += 1
            self.updates.append((current, data, changed))
        else:
            self.outcome.unchanged += 1

    def _changes(self, current: dict, data: dict) -> list[str]:
        household = data["household"]
        incoming = {**data, "household_id": household.id}
        # A column the file does not have leaves its field as the register holds it.
        changed = [
            name
            for name in PLAIN_FIELDS
            if name in incoming
            and (self.present(name) or name in ("household_id", "party_member"))
            and (name != "household_id" or household.id is not None)
            and incoming[name] != current[name]
        ]
        if isinstance(household, NewHousehold):
            changed.append("household_id")
        if self.present("phone"):
            new_index = phone_index(data["phone"]) if data["phone"] else ""
            if new_index != current["phone_index"]:
                changed.append("phone")
        if self.present("registered_address"):
            blob = current["registered_address_encrypted"]
            old = decrypt(blob, aad=ADDRESS_AAD) if blob else ""
            if old != data["registered_address"]:
                changed.append("registered_address")
        return changed

    # --- writing ---------------------------------------------------------------------------

    def _write_households(self) -> None:
        if not self.new_households:
            return
        made = Household.objects.bulk_create(
            [
                Household(
                    number=h.number,
                    dwelling_id=h.dwelling.id,
                    grid_id=h.dwelling.grid_id,
                    path=h.dwelling.path,
                )
                for h in self.new_households
            ],
            batch_size=500,
        )
        for household, row in zip(self.new_households, made, strict=True):
            household.id = row.pk
        self.outcome.grid_ids.update(
            h.dwelling.grid_id for h in self.new_households if h.dwelling.grid_id
        )

    @staticmethod
    def _place(household) -> tuple[int | None, int | None, str]:
        if isinstance(household, NewHousehold):
            return household.id, household.dwelling.grid_id, household.dwelling.path
        return household.id, household.grid_id, household.path

    def write(self) -> None:
        self._write_households()
        now = adapt_datetime(self.now)
        rows = []
        for data in self.creates:
            household_id, grid_id, path = self._place(data["household"])
            given, pinyin, initials = fast_name_keys(data["name"])
            secret = encrypted_identifiers(
                id_number=data["id_number"],
                phone=data["phone"],
                registered_address=data["registered_address"],
            )
            rows.append(
                (
                    data["name"],
                    given,
                    pinyin,
                    initials,
                    data["gender"],
                    adapt_date(data["birth_date"]),
                    secret["id_number_encrypted"],
                    secret["id_number_index"],
                    secret["id_tail_index"],
                    secret["phone_encrypted"],
                    secret["phone_index"],
                    secret["phone_tail_index"],
                    secret["registered_address_encrypted"],
                    data["ethnicity"],
                    data["residence_status"],
                    bool(data.get("party_member", False)),
                    data["employer"],
                    household_id,
                    data["relationship"],
                    adapt_date(data["move_in_date"]),
                    grid_id,
                    path,
                    1,
                    now,
                    now,
                )
            )
            if grid_id:
                self.outcome.grid_ids.add(grid_id)
            if household_id:
                self.outcome.household_ids.add(household_id)
        insert_rows(Person._meta.db_table, INSERT_FIELDS, rows)
        self._write_updates()

    def _write_updates(self) -> None:
        from django.db.models import F

        history = []
        for current, data, changed in self.updates:
            person_id = current["id"]
            if current["grid_id"]:
                self.outcome.grid_ids.add(current["grid_id"])
            if current["household_id"]:
                self.outcome.household_ids.add(current["household_id"])
            household_id, grid_id, path = self._place(data["household"])
            data["household_id"] = household_id
            fields: dict = {"updated_at": self.now, "version": F("version") + 1}
            for name in changed:
                if name == "phone":
                    fields.update(
                        {
                            k: val
                            for k, val in encrypted_identifiers(phone=data["phone"]).items()
                            if k.startswith("phone")
                        }
                    )
                elif name == "registered_address":
                    fields["registered_address_encrypted"] = encrypted_identifiers(
                        registered_address=data["registered_address"]
                    )["registered_address_encrypted"]
                elif name == "household_id":
                    fields.update(household_id=household_id, grid_id=grid_id, path=path)
                else:
                    fields[name] = data[name]
                if name == "name":
                    fields.update(
                        zip(
                            ("given_name", "name_pinyin", "name_initials"),
                            fast_name_keys(data["name"]),
                            strict=True,
                        )
                    )
            Person.objects.filter(pk=person_id).update(**fields)
            if grid_id:
                self.outcome.grid_ids.add(grid_id)
            self.outcome.person_ids.append(person_id)
            history.append(
                RecordChange(
                    object_type="person",
                    object_id=person_id,
                    changed_at=self.now,
                    actor=getattr(self.actor, "user", None),
                    actor_username=getattr(getattr(self.actor, "user", None), "username", ""),
                    action="import",
                    # Field names only: the values of personal fields never enter the history
                    # from an import (the profile shows the current, masked values).
                    changes={name: _history_pair(name, current, data) for name in changed},
                )
            )
        RecordChange.objects.bulk_create(history, batch_size=500)


def _history_pair(name: str, current: dict, data: dict) -> list | None:
    """[old, new] of a plain field; None for the encrypted ones (their values stay out)."""
    if name in ("phone", "registered_address"):
        return None
    if name == "household_id":
        return [current["household_id"], data["household_id"]]
    old, new = current[name], data[name]
    return [
        old.isoformat() if hasattr(old, "isoformat") else old,
        new.isoformat() if hasattr(new, "isoformat") else new,
    ]
