"""Writes to persons, households and tags. Places and organisations: place_services.py.

Every service checks the actor (permissions.require_register_write), validates, writes a
RecordChange (the history shown on profiles) and an audit row, and refreshes the grid counts it
touched. Editors send back the `version` they loaded; a stale one is a Conflict.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import Conflict, ValidationFailed
from wangge.core.scope import path_in_scope
from wangge.orgs.enums import GRID_KINDS
from wangge.orgs.models import OrgUnit

from .history import change_record, masked_diff
from .id_probes import TransferRequired, id_probe_allowance_check, id_probe_record
from .identity import decrypted_identifiers, encrypted_identifiers, name_keys
from .models import Household, KeyPopulationTag, Person, PersonTag
from .permissions import (
    audit_register,
    record_not_found,
    register_paths,
    require_register_write,
    visible_tag_ids,
)
from .person_rules import person_clean

IDENTIFIERS = ("id_number", "phone", "registered_address")


def _refresh(person: Person, *grid_ids: int | None, old_household_id: int | None = None) -> None:
    """Bring the derived tags of the person (and of their household, old and new) and the
    counts of the grids touched up to date, in the same transaction as the change."""
    from .rollups import derived_tags_refresh, grid_counts_refresh

    person_ids = {person.id}
    if old_household_id is not None:
        person_ids |= set(
            Person.objects.filter(household_id=old_household_id).values_list("id", flat=True)
        )
    derived_tags_refresh(sorted(person_ids))
    grid_counts_refresh(sorted({g for g in (person.grid_id, *grid_ids) if g is not None}))


def _recorded(
    actor,
    person: Person,
    action: str,
    changes: dict,
    *,
    detail: dict | None = None,
    old_grid: int | None = None,
    old_household_id: int | None = None,
) -> Person:
    """The tail every person write shares: its history row, its audit row (field names or
    codes, never values), then derived tags and grid counts."""
    change_record(actor, object_type="person", object_id=person.id, action=action, changes=changes)
    audit_register(
        actor,
        f"registry.person_{action}",
        object_type="person",
        object_id=person.id,
        path=person.path,
        detail=detail if detail is not None else {"fields": sorted(changes)},
    )
    _refresh(person, old_grid, old_household_id=old_household_id)
    return person


def _require_version(obj, version: int | None) -> None:
    if version is not None and obj.version != version:
        raise Conflict(
            _("Someone else changed this record; reload it and try again."),
            code="version_conflict",
            field="version",
        )


def _locked(model, object_type: str, object_id: int, actor):
    obj = model.objects.select_for_update().filter(pk=object_id).first()
    if obj is None:
        raise record_not_found(object_type, object_id)
    require_register_write(actor, object_type=object_type, object_id=object_id, path=obj.path)
    return obj


def _grid_for(actor, code: str) -> OrgUnit:
    grid = OrgUnit.objects.filter(code=code, kind__in=GRID_KINDS, is_active=True).first()
    if grid is None:
        raise ValidationFailed(
            _("Grid %(code)s not found.") % {"code": code}, code="not_found", field="grid"
        )
    require_register_write(actor, object_type="grid", object_id=code, path=grid.path)
    return grid


def _identity_fields(clean: dict) -> dict:
    given = {key: clean[key] for key in IDENTIFIERS if key in clean}
    return encrypted_identifiers(**given) if given else {}


def _encrypted_subset(clean: dict) -> dict:
    """Only the columns of the identifiers present in `clean` (others stay as they are)."""
    columns = _identity_fields(clean)
    keep = set()
    if "id_number" in clean:
        keep |= {"id_number_encrypted", "id_number_index", "id_tail_index"}
    if "phone" in clean:
        keep |= {"phone_encrypted", "phone_index", "phone_tail_index"}
    if "registered_address" in clean:
        keep.add("registered_address_encrypted")
    return {key: value for key, value in columns.items() if key in keep}


def _id_number_taken(actor, index: str) -> ValidationFailed:
    """A taken ID number: named a duplicate when the actor can see its holder (they can find
    them anyway); otherwise the neutral answer that names no place (id_probes.py)."""
    holder = Person.objects.filter(id_number_index=index).values_list("path", flat=True).first()
    if holder is not None and path_in_scope(holder, register_paths(actor)):
        return ValidationFailed(
            _("A person with this ID number is already in your area; find them by it."),
            code="duplicate",
            field="id_number",
        )
    return TransferRequired()


def _require_id_number_free(actor, person: Person) -> None:
    index = person.id_number_index
    if index and Person.objects.filter(id_number_index=index).exclude(pk=person.pk).exists():
        raise _id_number_taken(actor, index)


def person_create(
    *,
    actor,
    data: dict,
    household_id: int | None = None,
    grid_code: str | None = None,
) -> Person:
    """Add a person to a household (placed by its dwelling) or, without one, to a grid.

    The write is one transaction; an ID number registered out of the actor's sight is
    audited and counted after it rolled back, so that the record of the probe stays.
    """
    if data.get("id_number"):
        id_probe_allowance_check(actor, source="person_create")
    try:
        return _person_create(
            actor=actor, data=data, household_id=household_id, grid_code=grid_code
        )
    except TransferRequired:
        id_probe_record(actor, source="person_create")
        raise


@transaction.atomic
def _person_create(*, actor, data: dict, household_id: int | None, grid_code: str | None) -> Person:
    clean = person_clean(data, creating=True)
    if household_id is not None:
        household = _locked(Household, "household", household_id, actor)
        place = {"grid_id": household.grid_id, "path": household.path}
    elif grid_code:
        household = None
        grid = _grid_for(actor, grid_code)
        place = {"grid_id": grid.id, "path": grid.path}
    else:
        raise ValidationFailed(
            _("A person needs a household or a grid."), code="required", field="household"
        )
    given, pinyin, initials = name_keys(clean["name"])
    model_fields = {key: value for key, value in clean.items() if key not in IDENTIFIERS}
    person = Person(
        **model_fields,
        **_identity_fields({key: clean.get(key, "") for key in IDENTIFIERS}),
        given_name=given,
        name_pinyin=pinyin,
        name_initials=initials,
        household=household,
        **place,
    )
    _require_id_number_free(actor, person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # registered concurrently
        raise _id_number_taken(actor, person.id_number_index or "") from None
    changes = masked_diff({}, {key: value for key, value in clean.items() if value not in ("",)})
    return _recorded(actor, person, "create", changes)


def person_update(*, actor, person_id: int, version: int | None, data: dict) -> Person:
    """Change a person's facts; a new ID number registered out of sight is answered like
    person_create's (audited and counted after the write rolled back)."""
    if data.get("id_number"):
        id_probe_allowance_check(actor, source="person_update")
    try:
        return _person_update(actor=actor, person_id=person_id, version=version, data=data)
    except TransferRequired:
        id_probe_record(actor, source="person_update")
        raise


@transaction.atomic
def _person_update(*, actor, person_id: int, version: int | None, data: dict) -> Person:
    person = _locked(Person, "person", person_id, actor)
    _require_version(person, version)
    clean = person_clean(data, creating=False)
    before = {
        **{key: getattr(person, key) for key in clean if key not in IDENTIFIERS},
        **{key: value for key, value in decrypted_identifiers(person).items() if key in clean},
    }
    changes = masked_diff(before, clean)
    changed = {key: clean[key] for key in clean if before.get(key) != clean[key]}
    if not changed:
        return person
    for key, value in changed.items():
        if key not in IDENTIFIERS:
            setattr(person, key, value)
    for key, value in _encrypted_subset(changed).items():
        setattr(person, key, value)
    if "name" in changed:
        person.given_name, person.name_pinyin, person.name_initials = name_keys(person.name)
    person.version += 1
    if "id_number" in changed:
        _require_id_number_free(actor, person)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # registered concurrently
        raise _id_number_taken(actor, person.id_number_index or "") from None
    return _recorded(actor, person, "update", changes)


@transaction.atomic
def person_move_out(
    *, actor, person_id: int, version: int | None, moved_out_on: date, note: str = ""
) -> Person:
    """Record that a person left: they leave their household and stop counting in the grid.

    The record stays (history, retention) until the retention task archives it.
    """
    person = _locked(Person, "person", person_id, actor)
    _require_version(person, version)
    if person.move_out_date is not None:
        raise ValidationFailed(
            _("This person has already moved out."), code="invalid", field="move_out_date"
        )
    too_early = person.move_in_date is not None and moved_out_on < person.move_in_date
    if moved_out_on > timezone.localdate() or too_early:
        raise ValidationFailed(
            _("The move-out date must lie between the move-in date and today."),
            code="invalid",
            field="move_out_date",
        )
    changes = {
        "move_out_date": [None, moved_out_on.isoformat()],
        "household": [person.household_id, None],
    }
    if note:
        changes["note"] = ["", note[:200]]
    old_household_id = person.household_id
    person.move_out_date = moved_out_on
    person.household = None
    person.relationship = ""
    person.version += 1
    person.save()
    return _recorded(
        actor, person, "move_out", changes, detail={}, old_household_id=old_household_id
    )


@transaction.atomic
def person_household_set(
    *, actor, person_id: int, version: int | None, household_id: int, relationship: str
) -> Person:
    """Move a person into a household (a new one, or a relationship change in the same one)."""
    person = _locked(Person, "person", person_id, actor)
    _require_version(person, version)
    household = _locked(Household, "household", household_id, actor)
    clean = person_clean({"relationship": relationship}, creating=False)
    old_grid = person.grid_id
    changes = {
        "household": [person.household_id, household.id],
        "relationship": [person.relationship, clean.get("relationship", "")],
    }
    person.household = household
    person.relationship = clean.get("relationship", "")
    person.grid_id, person.path = household.grid_id, household.path
    person.move_out_date = None
    person.version += 1
    person.save()
    return _recorded(
        actor,
        person,
        "household",
        changes,
        detail={"household": household.id},
        old_grid=old_grid,
        old_household_id=changes["household"][0],
    )


@transaction.atomic
def person_grid_set(*, actor, person_id: int, version: int | None, grid_code: str) -> Person:
    """Place a person in a grid without a household (as person_create does without one)."""
    person = _locked(Person, "person", person_id, actor)
    _require_version(person, version)
    grid = _grid_for(actor, grid_code)
    old_grid, old_household_id = person.grid_id, person.household_id
    changes = {"household": [old_household_id, None], "grid": [old_grid, grid.id]}
    person.household = None
    person.relationship = ""
    person.grid_id, person.path = grid.id, grid.path
    person.move_out_date = None
    person.version += 1
    person.save()
    return _recorded(
        actor,
        person,
        "grid",
        changes,
        detail={"grid": grid.code},
        old_grid=old_grid,
        old_household_id=old_household_id,
    )


def _tag_for(actor, code: str) -> KeyPopulationTag:
    """A tag the actor may see; an invisible sensitive tag is refused exactly like an unknown."""
    tag = KeyPopulationTag.objects.filter(code=code).first()
    if tag is None or tag.id not in visible_tag_ids(actor):
        raise ValidationFailed(
            _("Unknown key-population tag %(code)s.") % {"code": code},
            code="unknown_tag",
            field="tag",
        )
    return tag


@transaction.atomic
def person_tag_add(
    *,
    actor,
    person_id: int,
    tag_code: str,
    valid_from: date,
    valid_to: date | None = None,
    grade: int | None = None,
    note: str = "",
) -> PersonTag:
    person = _locked(Person, "person", person_id, actor)
    tag = _tag_for(actor, tag_code)
    if tag.derived:
        raise ValidationFailed(
            _("%(tag)s is kept by the register itself from age and household.") % {"tag": tag},
            code="derived_tag",
            field="tag",
        )
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            _("The end of validity cannot come before its start."), code="invalid", field="valid_to"
        )
    if tag.has_grade and grade not in (1, 2, 3, 4):
        raise ValidationFailed(
            _("A disability grade is 1, 2, 3 or 4."), code="invalid", field="grade"
        )
    open_same = PersonTag.objects.filter(person=person, tag=tag, valid_to__isnull=True)
    if open_same.exists():
        raise ValidationFailed(
            _("This person already holds this tag; end it before adding it again."),
            code="duplicate",
            field="tag",
        )
    row = PersonTag.objects.create(
        person=person,
        tag=tag,
        valid_from=valid_from,
        valid_to=valid_to,
        grade=grade if tag.has_grade else None,
        note=note[:128],
    )
    _recorded(actor, person, "tag_add", {"tag": [None, tag.code]}, detail={"tag": tag.code})
    return row


@transaction.atomic
def person_tag_end(*, actor, person_id: int, tag_code: str, valid_to: date) -> PersonTag:
    person = _locked(Person, "person", person_id, actor)
    tag = _tag_for(actor, tag_code)
    row = (
        PersonTag.objects.select_for_update()
        .filter(person=person, tag=tag, valid_to__isnull=True)
        .first()
    )
    if row is None:
        raise ValidationFailed(
            _("This person holds no open tag %(tag)s.") % {"tag": tag},
            code="not_found",
            field="tag",
        )
    if valid_to < row.valid_from:
        raise ValidationFailed(
            _("The end of validity cannot come before its start."), code="invalid", field="valid_to"
        )
    row.valid_to = valid_to
    row.save(update_fields=["valid_to"])
    _recorded(actor, person, "tag_end", {"tag": [tag.code, None]}, detail={"tag": tag.code})
    return row


def person_in_scope(*, actor, person_id: int) -> Person:
    """A person the actor may see, for services of other apps; NotFound otherwise."""
    person = Person.objects.filter(pk=person_id, archived_at__isnull=True).first()
    if person is None or not any(person.path.startswith(p) for p in register_paths(actor)):
        raise record_not_found("person", person_id)
    return person
