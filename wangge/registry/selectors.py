"""Reads of the register for pages and the API: drill-down, profiles, history, the map points
(the filtered person list: person_list.py).

Every selector takes the actor and reads only its scope (`scope_q(register_paths(actor))` on
`path`); a record out of scope raises the same NotFound as a missing one. Outputs are plain dicts
of JSON-ready values (dates as `date`), the same for pages and the API. Personal identifiers
leave this module only masked, and tags the actor may not see are simply absent.
"""

import datetime as dt

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.core.errors import ValidationFailed
from wangge.core.scope import path_in_scope, scope_q
from wangge.orgs.enums import GRID_KINDS
from wangge.orgs.permissions import unit_not_found
from wangge.orgs.selectors import org_unit_get

from .enums import DwellingUse, Gender, Relationship, ResidenceStatus
from .identity import age_on, masked_identifiers
from .models import Building, Dwelling, Household, KeyPopulationTag, Person, PersonTag, RecordChange
from .permissions import audit_register, record_not_found, register_paths, visible_tags

BUILDING_POINTS_MAX = 20_000
# RecordChange.object_type of the records whose history the profiles show.
PERSON_TYPE = "person"
HOUSEHOLD_TYPE = "household"
MOVE_FIELDS = ("move_in_date", "move_out_date", "household", "household_id")
# Encrypted fields are not model fields of their own; their history labels live here.
EXTRA_LABELS = {
    "id_number": gettext_lazy("ID number"),
    "phone": gettext_lazy("phone"),
    "registered_address": gettext_lazy("registered address"),
}
CURRENT_PERSON = Q(move_out_date__isnull=True, archived_at__isnull=True)


def scoped(model, actor):
    return model.objects.filter(scope_q(register_paths(actor)))


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _count(queryset, group: str):
    """A correlated COUNT per outer row: one query for a whole list, whatever its length."""
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


# --- tags -------------------------------------------------------------------------------------


def current_tags_q(today: dt.date) -> Q:
    return Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))


def tags_of(actor, person_ids, *, current_only: bool = True) -> dict[int, list[dict]]:
    """The tags the actor may see, per person; one query for any number of persons."""
    ids = list(visible_tags(actor))
    if not person_ids or not ids:
        return {}
    today = timezone.localdate()
    rows = PersonTag.objects.filter(person_id__in=list(person_ids), tag_id__in=ids)
    if current_only:
        rows = rows.filter(current_tags_q(today))
    found: dict[int, list[dict]] = {}
    for row in rows.select_related("tag").order_by("tag__sort_order", "tag__code", "valid_from"):
        found.setdefault(row.person_id, []).append(
            {
                "code": row.tag.code,
                "name": row.tag.name,
                "sensitive": row.tag.sensitive,
                "valid_from": row.valid_from,
                "valid_to": row.valid_to,
                "grade": row.grade,
                "note": row.note,
                "current": row.valid_from <= today
                and (row.valid_to is None or row.valid_to >= today),
            }
        )
    return found


# --- history ----------------------------------------------------------------------------------


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # encrypted fields, or a field renamed since it was recorded
        return str(EXTRA_LABELS.get(name, name))


TAG_FIELD = "tag"
TAG_FIELD_PREFIX = "tag:"


def _tag_change(name: str, old, new) -> str | None:
    """The tag code a history entry is about ("tag": [old, new] or "tag:<code>"), or None."""
    if name == TAG_FIELD:
        return str(new or old or "")
    if name.startswith(TAG_FIELD_PREFIX):
        return name[len(TAG_FIELD_PREFIX) :]
    return None


def _history(actor, model, object_type: str, object_id: int) -> list[dict]:
    """Who changed what, when, newest first. Encrypted values are stored masked already.

    Changes of a tag the actor may not see are left out, and so is an entry left with nothing
    else: the history must not reveal a sensitive tag that the profile hides.
    """
    rows = list(
        RecordChange.objects.filter(object_type=object_type, object_id=object_id).order_by(
            "-changed_at", "-id"
        )
    )
    codes = set(visible_tags(actor).values())
    names: dict[str, str] | None = None
    history = []
    for row in rows:
        fields = []
        for name, value in (row.changes or {}).items():
            old, new = (
                value if isinstance(value, list | tuple) and len(value) == 2 else (None, value)
            )
            code = _tag_change(name, old, new)
            if code is not None:
                if code not in codes:
                    continue
                if names is None:
                    names = dict(KeyPopulationTag.objects.values_list("code", "name"))
                fields.append(_tag_field(code, names.get(code, code), name, old, new))
                continue
            fields.append(
                {"field": name, "label": _field_label(model, name), "old": old, "new": new}
            )
        if row.changes and not fields:
            continue
        history.append(
            {
                "changed_at": row.changed_at,
                "actor": row.actor_username,
                "action": row.action,
                "fields": fields,
            }
        )
    return history


def _tag_field(code: str, tag_name: str, name: str, old, new) -> dict:
    label = _("key population")
    if name == TAG_FIELD:  # [old code, new code]: added or ended
        return {
            "field": TAG_FIELD,
            "label": label,
            "old": tag_name if old else None,
            "new": tag_name if new else None,
        }
    # "tag:<code>": [old date, new date] of its validity
    return {"field": TAG_FIELD, "label": f"{label}: {tag_name}", "old": old, "new": new}


# --- grid → buildings → dwellings → households ------------------------------------------------


def _grid_get(actor, grid_code: str):
    unit = org_unit_get(actor=actor, code=grid_code)
    if unit.kind not in GRID_KINDS or not unit.is_active:
        raise unit_not_found(grid_code)
    return unit


def grid_buildings(*, actor, grid_code: str) -> dict:
    """A grid's buildings with their dwelling, household and (current) person counts."""
    grid = _grid_get(actor, grid_code)
    buildings = (
        scoped(Building, actor)
        .filter(grid=grid)
        .annotate(
            compound_name=F("compound__name"),
            dwelling_count=_count(Dwelling.objects.filter(building=OuterRef("pk")), "building"),
            household_count=_count(
                Household.objects.filter(dwelling__building=OuterRef("pk")), "dwelling__building"
            ),
            person_count=_count(
                Person.objects.filter(CURRENT_PERSON, household__dwelling__building=OuterRef("pk")),
                "household__dwelling__building",
            ),
        )
        .order_by("compound_name", "name", "id")
    )
    rows = [
        {
            "id": b.id,
            "name": b.name,
            "address": b.address,
            "compound": b.compound_name or "",
            "floors": b.floors,
            "entrances": b.entrances,
            "lng": b.lng,
            "lat": b.lat,
            "dwellings": b.dwelling_count,
            "households": b.household_count,
            "persons": b.person_count,
        }
        for b in buildings
    ]
    return {
        "grid": {"code": grid.code, "name": grid.name, "boundary": grid.boundary},
        "buildings": rows,
        "totals": {
            key: sum(row[key] for row in rows) for key in ("dwellings", "households", "persons")
        },
    }


def _place(building) -> dict:
    return {
        "id": building.id,
        "name": building.name,
        "address": building.address,
        "grid_code": building.grid_code,
        "grid_name": building.grid_name,
    }


def _building_query(actor):
    return scoped(Building, actor).annotate(grid_code=F("grid__code"), grid_name=F("grid__name"))


def building_get(*, actor, building_id: int) -> dict:
    """A building with its dwellings, each with its use, households and member counts."""
    building = _building_query(actor).select_related("compound", "steward").filter(pk=building_id)
    found = building.first()
    if found is None:
        raise record_not_found("building", building_id)
    scope = scope_q(register_paths(actor))
    households = (
        Household.objects.filter(scope, dwelling__building=found)
        .annotate(members_count=Count("members", filter=Q(members__move_out_date__isnull=True)))
        .order_by("number", "id")
    )
    by_dwelling: dict[int, list[dict]] = {}
    for household in households:
        by_dwelling.setdefault(household.dwelling_id, []).append(  # type: ignore[arg-type]
            {"id": household.id, "number": household.number, "members": household.members_count}
        )
    dwellings = Dwelling.objects.filter(scope, building=found).order_by(
        "entrance", "floor", "number", "id"
    )
    compound = found.compound
    return {
        **_place(found),
        "path": found.path,
        "floors": found.floors,
        "entrances": found.entrances,
        "lng": found.lng,
        "lat": found.lat,
        "steward": found.steward.name if found.steward else "",
        "compound": (
            {
                "id": compound.id,
                "name": compound.name,
                "property_company": compound.property_company,
            }
            if compound
            else None
        ),
        "dwellings": [
            {
                "id": d.id,
                "number": d.number,
                "entrance": d.entrance,
                "floor": d.floor,
                "use": d.use,
                "use_label": _label(DwellingUse, d.use),
                "area_m2": d.area_m2,
                "lease_end": d.lease_end,
                "households": by_dwelling.get(d.id, []),
                "members": sum(h["members"] for h in by_dwelling.get(d.id, [])),
            }
            for d in dwellings
        ],
    }


def member_row(person, today: dt.date, tags: dict[int, list[dict]]) -> dict:
    masked = masked_identifiers(person, ("id_number", "phone"))
    return {
        "id": person.id,
        "name": person.name,
        "relationship": person.relationship,
        "relationship_label": _label(Relationship, person.relationship),
        "gender": person.gender,
        "gender_label": _label(Gender, person.gender),
        "age": age_on(person.birth_date, today),
        "residence_status": person.residence_status,
        "residence_status_label": _label(ResidenceStatus, person.residence_status),
        "id_number_masked": masked["id_number"],
        "phone_masked": masked["phone"],
        "moved_out": person.move_out_date is not None,
        "tags": tags.get(person.id, []),
    }


def _members(actor, household_id: int) -> list[dict]:
    relationship_order = {value: index for index, value in enumerate(Relationship.values)}
    people = list(scoped(Person, actor).filter(household_id=household_id, archived_at__isnull=True))
    people.sort(key=lambda p: (relationship_order.get(p.relationship, 99), p.birth_date, p.id))
    tags = tags_of(actor, [p.id for p in people])
    today = timezone.localdate()
    return [member_row(p, today, tags) for p in people]


def _dwelling(dwelling) -> dict | None:
    if dwelling is None:
        return None
    return {
        "id": dwelling.id,
        "number": dwelling.number,
        "entrance": dwelling.entrance,
        "floor": dwelling.floor,
        "use": dwelling.use,
        "use_label": _label(DwellingUse, dwelling.use),
    }


def _household_query(actor):
    return (
        scoped(Household, actor)
        .select_related("dwelling__building__compound")
        .annotate(grid_code=F("grid__code"), grid_name=F("grid__name"))
    )


def _located(household) -> dict:
    dwelling = household.dwelling if household else None
    building = dwelling.building if dwelling else None
    compound = building.compound if building else None
    return {
        "dwelling": _dwelling(dwelling),
        "building": (
            {"id": building.id, "name": building.name, "address": building.address}
            if building
            else None
        ),
        "compound": (
            {
                "id": compound.id,
                "name": compound.name,
                "property_company": compound.property_company,
            }
            if compound
            else None
        ),
    }


HOUSEHOLD_FIELDS_SHOWN = ["name", "relationship", "gender", "age", "id_number", "phone", "tags"]


def household_get(*, actor, household_id: int) -> dict:
    """A household: its members (masked identifiers, visible tags), dwelling and history.

    Members' records are read here, so the view is in the access log like a profile view.
    """
    household = _household_query(actor).filter(pk=household_id).first()
    if household is None:
        raise record_not_found("household", household_id)
    members = _members(actor, household.id)
    audit_register(
        actor,
        "registry.household.view",
        object_type="household",
        object_id=household.id,
        path=household.path,
        detail={"fields": HOUSEHOLD_FIELDS_SHOWN, "members": len(members)},
    )
    return {
        "id": household.id,
        "number": household.number,
        "path": household.path,
        "grid_code": household.grid_code,
        "grid_name": household.grid_name,
        **_located(household),
        "members": members,
        "history": _history(actor, Household, HOUSEHOLD_TYPE, household.id),
    }


# --- the person's profile ---------------------------------------------------------------------


def person_get(*, actor, person_id: int) -> dict:
    """The live archive of one person, masked; every call writes one access-log row."""
    person = (
        scoped(Person, actor)
        .select_related("household__dwelling__building__compound")
        .annotate(grid_code=F("grid__code"), grid_name=F("grid__name"))
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise record_not_found("person", person_id)
    today = timezone.localdate()
    profile = {
        "id": person.id,
        # For editors: the optimistic-lock version and the scope path (not personal data).
        "version": person.version,
        "path": person.path,
        "name": person.name,
        "gender": person.gender,
        "gender_label": _label(Gender, person.gender),
        "birth_date": person.birth_date,
        "age": age_on(person.birth_date, today),
        **{f"{field}_masked": value for field, value in masked_identifiers(person).items()},
        "ethnicity": person.ethnicity,
        "residence_status": person.residence_status,
        "residence_status_label": _label(ResidenceStatus, person.residence_status),
        "party_member": person.party_member,
        "employer": person.employer,
        "relationship": person.relationship,
        "relationship_label": _label(Relationship, person.relationship),
        "move_in_date": person.move_in_date,
        "move_out_date": person.move_out_date,
        "archived": person.archived_at is not None,
        "grid": {"code": person.grid_code, "name": person.grid_name} if person.grid_code else None,
    }
    household = person.household
    profile["household"] = (
        {"id": household.id, "number": household.number, "members": _members(actor, household.id)}
        if household is not None and path_in_scope(household.path, register_paths(actor))
        else None
    )
    profile.update(_located(household if profile["household"] else None))
    profile["tags"] = tags_of(actor, [person.id], current_only=False).get(person.id, [])
    profile["history"] = _history(actor, Person, PERSON_TYPE, person.id)
    profile["moves"] = [
        {"changed_at": change["changed_at"], "actor": change["actor"], **field}
        for change in profile["history"]
        for field in change["fields"]
        if field["field"] in MOVE_FIELDS
    ]
    profile["fields_shown"] = _fields_shown(profile)
    audit_register(
        actor,
        "registry.person.view",
        object_type="person",
        object_id=person.id,
        path=person.path,
        detail={"fields": profile["fields_shown"]},
    )
    return profile


PROFILE_FIELDS = {
    "name": "name",
    "gender": "gender",
    "birth_date": "birth_date",
    "id_number": "id_number_masked",
    "phone": "phone_masked",
    "registered_address": "registered_address_masked",
    "ethnicity": "ethnicity",
    "residence_status": "residence_status",
    "party_member": "party_member",
    "employer": "employer",
    "relationship": "relationship",
    "move_in_date": "move_in_date",
    "move_out_date": "move_out_date",
    "household": "household",
    "dwelling": "dwelling",
    "tags": "tags",
    "history": "history",
}


def _fields_shown(profile: dict) -> list[str]:
    """Names (never values) of the fields the profile holds, for the access log."""
    return [name for name, key in PROFILE_FIELDS.items() if profile.get(key) not in (None, "", [])]


# --- the map ----------------------------------------------------------------------------------


def building_points(
    *, actor, bbox: tuple[float, float, float, float] | None = None, grid_code: str | None = None
) -> dict:
    """Buildings with a point as a GeoJSON FeatureCollection (the client clusters them).

    `bbox` is (west, south, east, north) in WGS-84. At most BUILDING_POINTS_MAX points; beyond
    that `truncated` is true and the client should zoom in.
    """
    buildings = scoped(Building, actor).filter(lng__isnull=False, lat__isnull=False)
    if grid_code:
        buildings = buildings.filter(grid=_grid_get(actor, grid_code))
    if bbox is not None:
        west, south, east, north = bbox
        if not (west <= east and south <= north):
            raise ValidationFailed(
                _("bbox is west,south,east,north with west ≤ east and south ≤ north."),
                code="invalid_bbox",
                field="bbox",
            )
        buildings = buildings.filter(lng__gte=west, lng__lte=east, lat__gte=south, lat__lte=north)
    rows = list(
        buildings.annotate(grid_code=F("grid__code"))
        .order_by("id")
        .values_list("id", "name", "lng", "lat", "grid_code")[: BUILDING_POINTS_MAX + 1]
    )
    return {
        "type": "FeatureCollection",
        "truncated": len(rows) > BUILDING_POINTS_MAX,
        "features": [
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {"id": pk, "name": name, "grid_code": code},
            }
            for pk, name, lng, lat, code in rows[:BUILDING_POINTS_MAX]
        ],
    }
