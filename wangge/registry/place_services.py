"""Writes to places (compounds, buildings, dwellings, facilities), households and organisations.

A located record takes its grid from its point (placement.grid_at); the actor must keep the
register of that grid. A dwelling lies in its building's grid, a household in its dwelling's.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from wangge.core.crypto import encrypt, normalize_phone, normalize_text
from wangge.core.errors import ValidationFailed
from wangge.core.inputs import finite_number

from .enums import DwellingUse, OrganisationKind, SocialOrganisationStatus
from .history import change_record
from .identity import CONTACT_PHONE_AAD, phone_problem
from .models import Building, Compound, Dwelling, Facility, Household, Organisation
from .permissions import audit_register, record_not_found, require_register_write
from .placement import grid_at


def _text(data: dict, field: str, limit: int, *, required: bool = False) -> str:
    value = normalize_text(str(data.get(field) or ""))
    if required and not value:
        raise ValidationFailed(
            _("%(field)s is required.") % {"field": field}, code="required", field=field
        )
    if len(value) > limit:
        raise ValidationFailed(
            _("%(field)s is at most %(limit)d characters.") % {"field": field, "limit": limit},
            code="too_long",
            field=field,
        )
    return value


def _small_int(data: dict, field: str, low: int, high: int) -> int | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise ValidationFailed(
            _("%(field)s is a whole number from %(low)d to %(high)d.")
            % {"field": field, "low": low, "high": high},
            code="invalid",
            field=field,
        )
    return number


def _float(data: dict, field: str) -> float | None:
    # NaN and infinity are refused: they are no place and no area.
    return finite_number(data.get(field), field=field)


def _placed(actor, data: dict, object_type: str) -> dict:
    lng, lat = _float(data, "lng"), _float(data, "lat")
    grid = grid_at(lng, lat)
    require_register_write(actor, object_type=object_type, object_id="new", path=grid.path)
    return {"grid_id": grid.id, "path": grid.path, "lng": lng, "lat": lat}


def _created(actor, obj, object_type: str, fields: list[str]) -> None:
    change_record(
        actor,
        object_type=object_type,
        object_id=obj.id,
        action="create",
        changes={field: [None, "…"] for field in fields},
    )
    audit_register(
        actor,
        f"registry.{object_type}_create",
        object_type=object_type,
        object_id=obj.id,
        path=obj.path,
        detail={"fields": fields},
    )


def _get(model, object_type: str, object_id, actor):
    obj = model.objects.select_for_update().filter(pk=object_id).first()
    if obj is None:
        raise record_not_found(object_type, object_id)
    require_register_write(actor, object_type=object_type, object_id=object_id, path=obj.path)
    return obj


@transaction.atomic
def compound_create(*, actor, data: dict) -> Compound:
    compound = Compound.objects.create(
        name=_text(data, "name", 64, required=True),
        address=_text(data, "address", 128),
        property_company=_text(data, "property_company", 64),
        **_placed(actor, data, "compound"),
    )
    _created(actor, compound, "compound", ["name", "address", "property_company"])
    return compound


@transaction.atomic
def building_create(*, actor, data: dict, compound_id: int | None = None) -> Building:
    compound = _get(Compound, "compound", compound_id, actor) if compound_id else None
    building = Building.objects.create(
        compound=compound,
        name=_text(data, "name", 64, required=True),
        address=_text(data, "address", 160, required=True),
        floors=_small_int(data, "floors", 1, 200),
        entrances=_small_int(data, "entrances", 1, 50),
        **_placed(actor, data, "building"),
    )
    _created(actor, building, "building", ["name", "address", "floors", "entrances"])
    return building


@transaction.atomic
def dwelling_create(*, actor, building_id: int, data: dict) -> Dwelling:
    building = _get(Building, "building", building_id, actor)
    use = data.get("use") or DwellingUse.OWNER_OCCUPIED
    if use not in DwellingUse.values:
        raise ValidationFailed(
            _("Use must be one of: %(values)s.")
            % {"values": "、".join(str(label) for label in DwellingUse.labels)},
            code="invalid",
            field="use",
        )
    try:
        with transaction.atomic():
            dwelling = Dwelling.objects.create(
                building=building,
                number=_text(data, "number", 16, required=True),
                entrance=_small_int(data, "entrance", 1, 50),
                floor=_small_int(data, "floor", -5, 200),
                use=use,
                area_m2=_float(data, "area_m2"),
                grid_id=building.grid_id,
                path=building.path,
                lng=building.lng,
                lat=building.lat,
            )
    except IntegrityError:
        raise ValidationFailed(
            _("This building already has a dwelling with that number."),
            code="duplicate",
            field="number",
        ) from None
    _created(actor, dwelling, "dwelling", ["number", "use"])
    return dwelling


@transaction.atomic
def household_create(*, actor, dwelling_id: int, number: str) -> Household:
    dwelling = _get(Dwelling, "dwelling", dwelling_id, actor)
    number = _text({"number": number}, "number", 32, required=True)
    if Household.objects.filter(number=number).exists():
        raise ValidationFailed(
            _("Household number %(number)s is already taken.") % {"number": number},
            code="duplicate",
            field="number",
        )
    household = Household.objects.create(
        number=number, dwelling=dwelling, grid_id=dwelling.grid_id, path=dwelling.path
    )
    _created(actor, household, "household", ["number", "dwelling"])
    from .rollups import grid_counts_refresh

    if household.grid_id is not None:
        grid_counts_refresh([household.grid_id])
    return household


@transaction.atomic
def facility_create(*, actor, data: dict) -> Facility:
    facility = Facility.objects.create(
        name=_text(data, "name", 64, required=True),
        category_code=_text(data, "category_code", 16, required=True),
        **_placed(actor, data, "facility"),
    )
    _created(actor, facility, "facility", ["name", "category_code"])
    return facility


@transaction.atomic
def organisation_create(*, actor, data: dict) -> Organisation:
    kind = data.get("kind")
    if kind not in OrganisationKind.values:
        raise ValidationFailed(
            _("Kind must be one of: %(values)s.")
            % {"values": "、".join(str(label) for label in OrganisationKind.labels)},
            code="invalid",
            field="kind",
        )
    registration = data.get("registration") or ""
    if kind == OrganisationKind.SOCIAL_ORGANISATION and (
        registration not in SocialOrganisationStatus.values
    ):
        raise ValidationFailed(
            _("A social organisation is either registered or filed."),
            code="required",
            field="registration",
        )
    phone = normalize_phone(str(data.get("contact_phone") or ""))
    if phone and (problem := phone_problem(phone)):
        raise ValidationFailed(problem, code="invalid", field="contact_phone")
    organisation = Organisation.objects.create(
        kind=kind,
        name=_text(data, "name", 128, required=True),
        credit_code=_text(data, "credit_code", 18),
        registration=registration if kind == OrganisationKind.SOCIAL_ORGANISATION else "",
        contact_name=_text(data, "contact_name", 64),
        contact_phone_encrypted=encrypt(phone, aad=CONTACT_PHONE_AAD) if phone else None,
        address=_text(data, "address", 160),
        **_placed(actor, data, "organisation"),
    )
    _created(actor, organisation, "organisation", ["kind", "name", "contact_name"])
    return organisation
