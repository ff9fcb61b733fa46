"""Writing the planned demo register (wangge.demo.register) into the database, and removing it.

Direct bulk inserts in large batches, as the system actor seeding the demo (see the note in
wangge.demo.register); identifiers go through the same encryption and blind indexes as every
other path (wangge.registry.identity), places through the grid index.
"""

import time
from datetime import date

import numpy as np
from django.db import connection

from wangge.core.models import User
from wangge.orgs.enums import GRID_KINDS, OrgUnitKind
from wangge.orgs.grid_index import grid_index_reset, locate_points
from wangge.orgs.models import OrgUnit
from wangge.registry.identity import (
    CONTACT_PHONE_AAD,
    encrypted_identifiers,
    name_keys,
)
from wangge.registry.models import (
    Building,
    Compound,
    Dwelling,
    GridCount,
    Household,
    KeyPopulationTag,
    Organisation,
    Person,
    PersonTag,
    RecordChange,
    TagGrant,
)
from wangge.registry.rollups import derived_tags_refresh, grid_counts_refresh

from . import people
from .register_plan import BATCH, RegisterPlan

# The demo account that may see the sensitive key populations (community staff keep the
# disability, allowance and corrections files of their community).
SENSITIVE_TAG_HOLDER = "demo_community_staff"


def write_plan(*, actor, plan: RegisterPlan, today: date) -> dict:
    from wangge.core.crypto import encrypt

    timings: dict[str, float] = {}
    started = time.perf_counter()
    grids = {
        code: (pk, path)
        for pk, code, path in OrgUnit.objects.filter(kind__in=GRID_KINDS).values_list(
            "id", "code", "path"
        )
    }
    # Places take their grid from their point, as every other path does (the points were drawn
    # inside the planned grid, so this agrees with the plan unless the grids changed since).
    grid_index_reset()
    located = locate_points(
        np.array([b["lng"] for b in plan.buildings], dtype=float),
        np.array([b["lat"] for b in plan.buildings], dtype=float),
    )
    for building, code in zip(plan.buildings, located, strict=True):
        building["grid"] = code or building["grid"]
    sponsors = departments_by_street()

    def placed(code: str, lng=None, lat=None) -> dict:
        pk, path = grids[code]
        return {"grid_id": pk, "path": path, "lng": lng, "lat": lat}

    compounds = Compound.objects.bulk_create(
        [
            Compound(
                name=c["name"],
                address=c["address"],
                property_company=c["property_company"],
                sponsor_unit_id=pick_sponsor(sponsors, grids[c["grid"]][1], c["sponsor"]),
                **placed(c["grid"], c["lng"], c["lat"]),
            )
            for c in plan.compounds
        ],
        batch_size=BATCH,
    )
    buildings = Building.objects.bulk_create(
        [
            Building(
                compound_id=compounds[b["compound"]].pk,
                name=b["name"],
                address=b["address"],
                floors=b["floors"],
                entrances=b["entrances"],
                **placed(b["grid"], b["lng"], b["lat"]),
            )
            for b in plan.buildings
        ],
        batch_size=BATCH,
    )
    dwellings = fast_insert(
        Dwelling,
        [
            Dwelling(
                building_id=buildings[d["building"]].pk,
                entrance=d["entrance"],
                floor=d["floor"],
                number=d["number"],
                use=d["use"],
                area_m2=d["area_m2"],
                **placed_like(buildings[d["building"]]),
            )
            for d in plan.dwellings
        ],
    )
    households = fast_insert(
        Household,
        [
            Household(
                number=h["number"],
                dwelling_id=dwellings[h["dwelling"]].pk,
                **placed_like(dwellings[h["dwelling"]]),
            )
            for h in plan.households
        ],
    )
    timings["places"] = time.perf_counter() - started
    started = time.perf_counter()
    rows = []
    for p in plan.persons:
        household = households[p["household"]]
        given, pinyin, initials = name_keys(p["name"])
        rows.append(
            Person(
                name=p["name"],
                given_name=given,
                name_pinyin=pinyin,
                name_initials=initials,
                gender=p["gender"],
                birth_date=p["birth_date"],
                ethnicity=p["ethnicity"],
                residence_status=p["residence_status"],
                party_member=p["party_member"],
                employer=p["employer"],
                household_id=household.pk,
                relationship=p["relationship"],
                move_in_date=p["move_in_date"],
                move_out_date=p["move_out_date"],
                **placed_like(household),
                **encrypted_identifiers(
                    id_number=p["id_number"],
                    phone=p["phone"],
                    registered_address=p["registered_address"],
                ),
            )
        )
    timings["encrypt"] = time.perf_counter() - started
    started = time.perf_counter()
    persons = fast_insert(Person, rows)
    timings["persons"] = time.perf_counter() - started
    tag_ids = dict(KeyPopulationTag.objects.values_list("code", "id"))
    PersonTag.objects.bulk_create(
        [
            PersonTag(
                person_id=persons[t["person"]].pk,
                tag_id=tag_ids[t["code"]],
                valid_from=t["valid_from"],
                valid_to=t["valid_to"],
                grade=t["grade"],
            )
            for t in plan.tags
        ],
        batch_size=BATCH,
    )
    # Stewards and landlords are residents, so they are linked once the persons exist.
    stewards = [
        (persons[b["steward"]].pk, building.pk)
        for building, b in zip(buildings, plan.buildings, strict=True)
        if "steward" in b
    ]
    landlords = [
        (persons[d["landlord"]].pk, d["lease_start"], d["lease_end"], dwelling.pk)
        for dwelling, d in zip(dwellings, plan.dwellings, strict=True)
        if "landlord" in d
    ]
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE registry_building SET steward_id = %s WHERE id = %s", stewards)
        cursor.executemany(
            "UPDATE registry_dwelling SET landlord_id = %s, lease_start = %s, lease_end = %s "
            "WHERE id = %s",
            landlords,
        )
    timings["links"] = time.perf_counter() - started
    rng = np.random.default_rng(len(plan.organisations))
    Organisation.objects.bulk_create(
        [
            Organisation(
                kind=o["kind"],
                name=o["name"],
                credit_code=(
                    ""
                    if o.get("registration") == "filed"
                    else people.credit_code(
                        rng, o["region"], registrar=o["registrar"], kind=o["credit_kind"]
                    )
                ),
                registration=o.get("registration", ""),
                contact_name=o["contact_name"],
                contact_phone_encrypted=encrypt(o["contact_phone"], aad=CONTACT_PHONE_AAD),
                building_id=buildings[o["building"]].pk,
                address=o["address"],
                **placed_like(buildings[o["building"]]),
            )
            for o in plan.organisations
        ],
        batch_size=BATCH,
    )
    grant_sensitive_tags(SENSITIVE_TAG_HOLDER)
    timings["insert"] = time.perf_counter() - started
    started = time.perf_counter()
    derived_tags_refresh(today=today)
    grid_counts_refresh(
        sorted({pk for pk, _path in grids.values()}),
        today=today,
    )
    timings["rollups"] = time.perf_counter() - started
    return {
        "compounds": len(compounds),
        "buildings": len(buildings),
        "dwellings": len(dwellings),
        "households": len(households),
        "persons": len(persons),
        "tags": len(plan.tags),
        "organisations": len(plan.organisations),
        "seconds": {key: round(value, 2) for key, value in timings.items()},
    }


def fast_insert(model, objects: list) -> list:
    """Insert rows with executemany and pre-allocated ids; returns the objects, pk set.

    Django's bulk_create composes one huge statement per batch, which psycopg then re-parses:
    measured here ~1,500 rows/s for persons on PostgreSQL (and ~5,000 on SQLite, which allows
    only 999 parameters per statement), against ~20,000 with executemany. Fields' own
    pre_save/get_db_prep_save are used, so timestamps and binary values are stored as usual.
    """
    if not objects:
        return objects
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [meta.db_table, len(objects)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        else:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            start = cursor.fetchone()[0] + 1
            ids = list(range(start, start + len(objects)))
        rows = []
        for pk, obj in zip(ids, objects, strict=True):
            obj.pk = pk
            rows.append(
                [pk] + [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
            )
        columns = ", ".join(
            connection.ops.quote_name(c) for c in ["id", *(f.column for f in fields)]
        )
        marks = ", ".join(["%s"] * (len(fields) + 1))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        for start_row in range(0, len(rows), 5_000):
            cursor.executemany(sql, rows[start_row : start_row + 5_000])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def placed_like(row) -> dict:
    return {"grid_id": row.grid_id, "path": row.path, "lng": row.lng, "lat": row.lat}


def departments_by_street() -> dict[str, list[int]]:
    """{street path: department ids in code order}: a compound's sponsor unit is one of them."""
    found: dict[str, list[int]] = {}
    for pk, path in (
        OrgUnit.objects.filter(kind=OrgUnitKind.DEPARTMENT)
        .order_by("code")
        .values_list("id", "path")
    ):
        street_path = path.rstrip("/").rsplit("/", 1)[0] + "/"
        found.setdefault(street_path, []).append(pk)
    return found


def pick_sponsor(sponsors: dict[str, list[int]], grid_path: str, choice: int) -> int | None:
    for street_path, ids in sponsors.items():
        if grid_path.startswith(street_path):
            return ids[choice % len(ids)]
    return None


def grant_sensitive_tags(username: str) -> int:
    user = User.objects.filter(username=username).first()
    if user is None:
        return 0
    grants = [
        TagGrant(user=user, tag=tag) for tag in KeyPopulationTag.objects.filter(sensitive=True)
    ]
    TagGrant.objects.bulk_create(grants, ignore_conflicts=True)
    return len(grants)


def register_reset(path: str) -> int:
    """Remove every register record under `path` (the demo city); returns persons deleted.

    Links between records are cut first, so that the deletes need no per-row collection.
    """
    persons = Person.objects.filter(path__startswith=path)
    person_ids = list(persons.values_list("id", flat=True))
    Organisation.objects.filter(path__startswith=path).delete()
    PersonTag.objects.filter(person__path__startswith=path).delete()
    Building.objects.filter(path__startswith=path).update(steward=None)
    Dwelling.objects.filter(path__startswith=path).update(landlord=None)
    Building.objects.filter(steward__path__startswith=path).update(steward=None)
    Dwelling.objects.filter(landlord__path__startswith=path).update(landlord=None)
    for start in range(0, len(person_ids), 5_000):
        part = person_ids[start : start + 5_000]
        RecordChange.objects.filter(object_type="person", object_id__in=part).delete()
        Person.objects.filter(pk__in=part).delete()
    Household.objects.filter(path__startswith=path).delete()
    Dwelling.objects.filter(path__startswith=path).delete()
    Building.objects.filter(path__startswith=path).delete()
    Compound.objects.filter(path__startswith=path).delete()
    GridCount.objects.filter(grid__path__startswith=path).delete()
    return len(person_ids)
