"""Intake: a case from any source (grid worker, resident, window, hotline, API, Open311).

The place gives the grid (point → grid index); the category's handling level gives the unit that
holds it first: grid and community level → the grid's community, street level → the street,
department level → the street's department named by the category (else the street). A grid worker
may resolve an allowed category on the spot: report and handle in one step, still to be verified.
"""

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.crypto import encrypt, normalize_phone
from wangge.core.errors import Conflict, PermissionDenied, ValidationFailed
from wangge.core.fast_insert import insert_row
from wangge.core.inputs import is_finite_value
from wangge.core.scope import path_in_scope
from wangge.orgs.enums import Role
from wangge.orgs.geometry import METRES_PER_DEGREE, metres_between
from wangge.orgs.grid_index import locate_point
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import is_system, visible_paths
from wangge.registry.address_match import building_match_address
from wangge.registry.identity import phone_problem

from .deadlines import intake_deadlines, schedule_for
from .enums import FINAL_STATES, CaseSource, CaseState, HandlingLevel
from .events import clean_attachments, record_event
from .intake_cache import active_category, grid_place, street_department
from .models import REPORTER_PHONE_AAD, Case, CaseCategory
from .numbers import next_case_number
from .permissions import audit_case, case_scope_q

FIELD_WORKERS = (Role.GRID_WORKER, Role.GRID_LEADER)


# --- validation --------------------------------------------------------------------------------


def _category(code: str) -> CaseCategory:
    category = active_category(code)
    if category is None:
        raise ValidationFailed(
            _("Unknown or inactive case category %(code)s.") % {"code": code},
            code="unknown_category",
            field="category_code",
        )
    return category


def _text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(
            _("%(field)s is required.") % {"field": field}, code="required", field=field
        )
    if len(value) > limit:
        raise ValidationFailed(
            _("%(field)s may be at most %(count)s characters.") % {"field": field, "count": limit},
            code="too_long",
            field=field,
        )
    return value


def _coordinates(lng, lat) -> tuple[float, float]:
    if lng is None or lat is None:
        raise ValidationFailed(
            _("Give the place of the case: longitude and latitude."), code="required", field="lng"
        )
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Longitude and latitude must be numbers."), code="invalid", field="lng"
        ) from None
    if not (math.isfinite(lng) and -180 <= lng <= 180):
        raise ValidationFailed(
            _("Longitude must lie between -180 and 180."), code="out_of_range", field="lng"
        )
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValidationFailed(
            _("Latitude must lie between -90 and 90."), code="out_of_range", field="lat"
        )
    return lng, lat


def _attributes(category: CaseCategory, given: dict | None) -> dict:
    """Keep the category's own attributes (Open311 style); the required ones must be present."""
    given = given or {}
    if not isinstance(given, dict):
        raise ValidationFailed(
            _("Attributes must be a mapping of code to value."), code="invalid", field="attributes"
        )
    if not is_finite_value(given):
        raise ValidationFailed(
            _("Attribute values must not be NaN or infinite."),
            code="invalid_number",
            field="attributes",
        )
    clean = {}
    for spec in category.attributes or []:
        code = str(spec.get("code", ""))
        value = given.get(code)
        if value in (None, "", []):
            if spec.get("required"):
                raise ValidationFailed(
                    _("The attribute %(code)s is required for this category.") % {"code": code},
                    code="required",
                    field=f"attributes.{code}",
                )
            continue
        keys = [str(item.get("key")) for item in spec.get("values") or [] if "key" in item]
        values = value if isinstance(value, list) else [value]
        if keys and any(str(item) not in keys for item in values):
            raise ValidationFailed(
                _("The attribute %(code)s must be one of: %(keys)s.")
                % {"code": code, "keys": ", ".join(keys)},
                code="invalid_choice",
                field=f"attributes.{code}",
            )
        clean[code] = value if isinstance(value, list) else str(value)[:500]
    return clean


def _require_source(actor, source: str, anonymous: bool, grid: OrgUnit) -> None:
    if source not in CaseSource.values:
        raise ValidationFailed(
            _("Unknown source %(source)s.") % {"source": source}, code="invalid", field="source"
        )
    if is_system(actor):
        return
    authenticated = bool(getattr(actor, "is_authenticated", False))
    if source == CaseSource.RESIDENT:
        if getattr(actor, "is_resident", False) or anonymous:
            return
        message = _("A resident report needs a resident's account or an anonymous report.")
    elif source in (CaseSource.API, CaseSource.OPEN311):
        if authenticated:
            return
        message = _("Reports through the API need an authenticated client.")
    elif source == CaseSource.GRID_WORKER:
        if path_in_scope(grid.path, actor.paths(*FIELD_WORKERS)):
            return
        message = _("Only a grid worker of this grid may report as a grid worker on site.")
    else:
        if authenticated and path_in_scope(grid.path, visible_paths(actor)):
            return
        message = _("Only staff whose area covers the place may report from a window or hotline.")
    raise PermissionDenied(message, field="source")


# --- placing -----------------------------------------------------------------------------------


def _address_place(actor, address: str) -> tuple[float, float, str | None]:
    """A report with an address and no pin: the point and grid of the one building it names."""
    found = building_match_address(actor=actor, text=address)
    if found.building is not None:
        return found.building.lng, found.building.lat, found.building.grid_code
    if found.candidates:
        message = _(
            "Without a map pin the address must name one building, and it matches several "
            "buildings: choose one or put a pin on the map."
        )
        code = "address_ambiguous"
    else:
        message = _(
            "Without a map pin the address must name one building, and no building you can "
            "see has it: check the address or put a pin on the map."
        )
        code = "address_not_found"
    raise ValidationFailed(
        message, code=code, field="address", detail={"candidates": list(found.candidates)}
    )


def _place(
    lng: float, lat: float, grid_code: str | None = None
) -> tuple[OrgUnit, OrgUnit | None, OrgUnit | None]:
    """The grid holding the point (or the grid already known, a matched building's) and the
    community and street above it."""
    place = grid_place(grid_code) if grid_code else None
    if place is None:
        code = locate_point(lng, lat)
        place = grid_place(code) if code else None
    if place is None:
        raise ValidationFailed(
            _("The place lies in no grid; check the map pin."), code="outside_grids", field="lng"
        )
    return place.grid, place.community, place.street


def _handler(
    category: CaseCategory, grid: OrgUnit, community: OrgUnit | None, street: OrgUnit | None
) -> OrgUnit:
    level = category.handling_level
    if level in (HandlingLevel.GRID, HandlingLevel.COMMUNITY) and community is not None:
        return community
    if level == HandlingLevel.DEPARTMENT and street is not None and category.default_department:
        department = street_department(street, category.default_department)
        if department is not None:
            return department
    return street or community or grid


# --- the service -------------------------------------------------------------------------------


def _key_used(key: str) -> bool:
    """Whether a case has this idempotency key. Asked on every keyed intake and nearly always
    "no": one indexed probe in plain SQL costs a fraction of building the ORM query."""
    quote = connection.ops.quote_name
    table = quote(Case._meta.db_table)
    column = quote(Case._meta.get_field("idempotency_key").column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = %s", [key])  # noqa: S608
        return cursor.fetchone() is not None


def _replay(actor, existing: Case) -> Case:
    """The same idempotency key again: the first case, for the same reporter only."""
    user = getattr(actor, "user", None)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    if is_system(actor) or existing.reporter_id == user_id:
        return existing
    raise Conflict(
        _("This idempotency key was already used for another report."),
        code="idempotency_key_reused",
        field="idempotency_key",
    )


def case_report(
    *,
    actor,
    category_code: str,
    title: str,
    description: str = "",
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
    source: str,
    photos: Iterable[str] = (),
    attributes: dict | None = None,
    anonymous: bool = False,
    reporter_phone: str = "",
    hotline_number: str = "",
    idempotency_key: str | None = None,
    resolve_on_spot: bool = False,
    now: datetime | None = None,
) -> Case:
    """Report a case; with `resolve_on_spot` a grid worker reports and handles it at once.

    Every read and check runs before the write transaction, which then holds only the inserts
    (SQLite has one writer at a time, and PostgreSQL holds the day's number row until commit).
    A race on the idempotency key rolls the whole write back and replays the winner's case.
    """
    key = (idempotency_key or "").strip() or None
    if key is not None:
        if len(key) > 64:
            raise ValidationFailed(
                _("An idempotency key may be at most 64 characters."),
                code="too_long",
                field="idempotency_key",
            )
        if _key_used(key):
            existing = Case.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return _replay(actor, existing)
    now = now or timezone.now()
    category = _category(category_code)
    clean_title = _text(title, "title", 100, required=True)
    clean_description = _text(description, "description", 2000)
    clean_address = _text(address, "address", 160)
    clean_hotline = _text(hotline_number, "hotline_number", 32)
    grid_code = None
    if lng is None and lat is None and clean_address:
        lng, lat, grid_code = _address_place(actor, clean_address)
    lng, lat = _coordinates(lng, lat)
    if anonymous and not category.anonymous_allowed:
        raise ValidationFailed(
            _("This category may not be reported anonymously."),
            code="anonymous_not_allowed",
            field="anonymous",
        )
    phone = normalize_phone(reporter_phone) if reporter_phone else ""
    if phone and phone_problem(phone):
        raise ValidationFailed(
            _("The reporter's phone is not a valid phone number."),
            code="invalid",
            field="reporter_phone",
        )
    clean_attributes = _attributes(category, attributes)
    clean_photos = clean_attachments(photos, "photos")
    grid, community, street = _place(lng, lat, grid_code)
    _require_source(actor, source, anonymous, grid)
    if resolve_on_spot:
        if not category.grid_may_resolve:
            raise ValidationFailed(
                _("This category may not be resolved on the spot."),
                code="not_resolvable",
                field="resolve_on_spot",
            )
        if not is_system(actor) and not path_in_scope(grid.path, actor.paths(*FIELD_WORKERS)):
            raise PermissionDenied(
                _("Only a grid worker of this grid may resolve a case on the spot."),
                field="resolve_on_spot",
            )
        handler = grid
        state = CaseState.HANDLED
    else:
        handler = _handler(category, grid, community, street)
        state = CaseState.REPORTED
    deadlines = intake_deadlines(category, state, now, schedule_for(handler))
    user = getattr(actor, "user", None)
    reporter = user if user is not None and getattr(user, "is_authenticated", False) else None
    case = Case(
        category=category,
        source=source,
        state=state,
        title=clean_title,
        description=clean_description,
        address=clean_address,
        lng=lng,
        lat=lat,
        grid=grid,
        path=grid.path,
        handler_unit=handler,
        handler_path=handler.path,
        reporter=reporter,
        anonymous=anonymous,
        reporter_phone_encrypted=encrypt(phone, aad=REPORTER_PHONE_AAD) if phone else None,
        hotline_number=clean_hotline,
        attributes=clean_attributes,
        photos=clean_photos,
        reported_at=now,
        stage_due_at=deadlines.stage_due_at,
        due_at=deadlines.due_at,
        calendar_warning=deadlines.calendar_warning,
        idempotency_key=key,
    )
    audit_detail = {
        "category": category.code,
        "source": source,
        "anonymous": anonymous,
        "state": state,
        "unit": handler.code,
        "calendar_warning": deadlines.calendar_warning,
    }
    try:
        with transaction.atomic():
            _write(case, actor, now, handler, resolve_on_spot, audit_detail)
    except IntegrityError:
        existing = Case.objects.filter(idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return _replay(actor, existing)
    return case


def _write(case: Case, actor, now: datetime, handler, on_spot: bool, audit_detail: dict) -> None:
    """The intake's writes, in its one transaction: number, case, timeline, audit."""
    case.number = next_case_number(now)
    insert_row(case)
    record_event(
        case,
        actor,
        "report",
        at=now,
        to_state=CaseState.REPORTED,
        attachments=case.photos,
        detail={"unit": handler.code, "source": case.source},
        hide_actor=case.anonymous,
    )
    if on_spot:
        record_event(
            case,
            actor,
            "handle",
            at=now,
            from_state=CaseState.REPORTED,
            to_state=CaseState.HANDLED,
            detail={"unit": handler.code, "on_spot": True},
        )
    audit_case(actor, "cases.case_report", number=case.number, path=case.path, detail=audit_detail)


# --- duplicates --------------------------------------------------------------------------------


def duplicate_candidates(*, actor, case_or_params: Case | dict) -> list[Case]:
    """Open cases of the same category near the place within the category's window, nearest
    first, among the cases the actor may see. `case_or_params`: a Case, or a dict with
    category_code, lng, lat and optionally now."""
    if isinstance(case_or_params, Case):
        category = case_or_params.category
        lng, lat = case_or_params.lng, case_or_params.lat
        now, exclude = case_or_params.reported_at, case_or_params.pk
    else:
        category = _category(str(case_or_params.get("category_code", "")))
        lng, lat = case_or_params.get("lng"), case_or_params.get("lat")
        now, exclude = case_or_params.get("now") or timezone.now(), None
    if lng is None or lat is None:
        return []
    lng, lat = _coordinates(lng, lat)
    radius = float(category.duplicate_radius_m)
    dlat = radius / METRES_PER_DEGREE
    dlng = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    rows = (
        Case.objects.filter(
            case_scope_q(actor),
            category=category,
            reported_at__gte=now - timedelta(days=category.duplicate_window_days),
            reported_at__lte=now,
            lng__range=(lng - dlng, lng + dlng),
            lat__range=(lat - dlat, lat + dlat),
        )
        .exclude(state__in=FINAL_STATES)
        .order_by("id")
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    near = [
        (distance, case)
        for case in rows[:50]
        if case.lng is not None
        and case.lat is not None
        and (distance := metres_between(lng, lat, case.lng, case.lat)) <= radius
    ]
    return [case for _distance, case in sorted(near, key=lambda item: (item[0], item[1].pk))]
