"""The filtered person list of the register (page, API and export): filters, keyset pages,
counts, and the filters' choices.

Like every selector it takes the actor and reads only its scope; identifiers leave masked, and
a tag the actor may not see behaves exactly like an unknown one.
"""

import datetime as dt

from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import ValidationFailed
from wangge.core.inputs import DB_INT_MAX, whole_number
from wangge.core.scope import scope_q
from wangge.orgs.enums import GRID_KINDS
from wangge.orgs.models import OrgUnit

from .enums import ResidenceStatus
from .models import KeyPopulationTag, Person, PersonTag
from .permissions import register_paths, visible_tags
from .selectors import CURRENT_PERSON, current_tags_q, member_row, scoped, tags_of

PERSON_LIST_MAX = 200
# Older than anyone alive; a larger age would only push the birth-date bound out of the calendar.
MAX_AGE = 150


def _int_filter(filters: dict, name: str, *, minimum: int = 0, maximum: int = DB_INT_MAX):
    return whole_number(filters.get(name), field=name, minimum=minimum, maximum=maximum)


def _years_before(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February in a non-leap year
        return today.replace(year=today.year - years, day=28)


def unknown_tag() -> ValidationFailed:
    """A tag code that does not exist and a sensitive one not granted look exactly alike."""
    return ValidationFailed(_("Unknown tag."), code="unknown_tag", field="tag")


def _person_filter(actor, filters: dict) -> Q:
    query = Q()
    grid = (filters.get("grid") or "").strip()
    if grid:
        query &= Q(grid__code=grid)
    building = _int_filter(filters, "building", minimum=1)
    if building is not None:
        query &= Q(household__dwelling__building_id=building)
    tag = (filters.get("tag") or "").strip()
    if tag:
        tag_id = next((i for i, code in visible_tags(actor).items() if code == tag), None)
        if tag_id is None:
            raise unknown_tag()
        today = timezone.localdate()
        query &= Q(
            Exists(
                PersonTag.objects.filter(
                    current_tags_q(today), person=OuterRef("pk"), tag_id=tag_id
                )
            )
        )
    status = (filters.get("residence_status") or "").strip()
    if status:
        if status not in ResidenceStatus.values:
            raise ValidationFailed(
                _("residence_status must be one of: %(values)s.")
                % {"values": ", ".join(ResidenceStatus.values)},
                code="invalid_choice",
                field="residence_status",
            )
        query &= Q(residence_status=status)
    age_min = _int_filter(filters, "age_min", maximum=MAX_AGE)
    age_max = _int_filter(filters, "age_max", maximum=MAX_AGE)
    if age_min is not None and age_max is not None and age_min > age_max:
        raise ValidationFailed(
            _("age_min must not be greater than age_max."), code="invalid_range", field="age_min"
        )
    today = timezone.localdate()
    if age_min is not None:
        query &= Q(birth_date__lte=_years_before(today, age_min))
    if age_max is not None:
        query &= Q(birth_date__gt=_years_before(today, age_max + 1))
    return query


def _parse_cursor(after: str | None) -> int | None:
    try:
        return whole_number(after, field="after", minimum=1)
    except ValidationFailed:
        raise ValidationFailed(
            _("The page cursor is not valid."), code="invalid_cursor", field="after"
        ) from None


def person_list(
    *, actor, filters: dict, after: str | None = None, limit: int = 50
) -> tuple[list[dict], str | None]:
    """Current residents in scope, filtered, in id order; `after` is the last id of the page
    before (an opaque number, so no personal data goes into the URL)."""
    limit = max(1, min(int(limit), PERSON_LIST_MAX))
    query = _person_filter(actor, filters)
    last_id = _parse_cursor(after)
    people = scoped(Person, actor).filter(CURRENT_PERSON, query)
    if last_id is not None:
        people = people.filter(id__gt=last_id)
    page = list(
        people.select_related("household__dwelling__building")
        .annotate(grid_code=F("grid__code"))
        .order_by("id")[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    tags = tags_of(actor, [p.id for p in page])
    today = timezone.localdate()
    rows = []
    for person in page:
        household = person.household
        dwelling = household.dwelling if household else None
        building = dwelling.building if dwelling else None
        rows.append(
            {
                **member_row(person, today, tags),
                "grid_code": person.grid_code,
                "household_id": household.id if household else None,
                "household_number": household.number if household else "",
                "dwelling_number": dwelling.number if dwelling else "",
                "building_id": building.id if building else None,
                "building_name": building.name if building else "",
            }
        )
    return rows, (str(page[-1].id) if more and page else None)


def person_list_count(*, actor, filters: dict) -> int:
    """How many rows person_list would give over all its pages (checks the filters too)."""
    return scoped(Person, actor).filter(CURRENT_PERSON, _person_filter(actor, filters)).count()


def key_population_tags(*, actor) -> list[dict]:
    """The tags the actor may see, in display order (sensitive ones only with a grant)."""
    rows = KeyPopulationTag.objects.filter(id__in=list(visible_tags(actor))).order_by(
        "sort_order", "code"
    )
    return [
        {
            "code": tag.code,
            "name": tag.name,
            "sensitive": tag.sensitive,
            "derived": tag.derived,
            "has_grade": tag.has_grade,
        }
        for tag in rows
    ]


def person_list_options(*, actor) -> dict:
    """Choices for the list's filters: the grids in scope and the tags the actor may see."""
    grids = (
        OrgUnit.objects.filter(scope_q(register_paths(actor)), kind__in=GRID_KINDS, is_active=True)
        .order_by("code")
        .values_list("code", "name")
    )
    tags = KeyPopulationTag.objects.filter(id__in=list(visible_tags(actor))).values_list(
        "code", "name"
    )
    return {
        "grids": [{"code": code, "name": name} for code, name in grids],
        "tags": [{"code": code, "name": name} for code, name in tags],
        "residence_statuses": [
            {"code": v, "name": str(label)} for v, label in ResidenceStatus.choices
        ],
    }
