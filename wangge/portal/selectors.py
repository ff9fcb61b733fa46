"""Reads only the portal needs: a case's public status by number, a resident's own cases, the
categories a resident picks from, and the outline of the area to draw under the map pin.

The public status is deliberately narrow: category, state, dates, the handling unit's name and
the timeline's action labels and times. No description, address, place, photos, notes or names
of people: a case number may be guessed or passed on, so it opens nothing personal.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from wangge.cases.models import Case, CaseCategory
from wangge.cases.selectors import leaf_categories
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit

MAX_NUMBER_LENGTH = 20
MY_CASES_LIMIT = 100


@dataclass(frozen=True)
class PublicStep:
    action: str
    at: datetime


@dataclass(frozen=True)
class PublicStatus:
    number: str
    category_name: str
    state: str
    reported_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    handler_name: str
    steps: list[PublicStep]


@dataclass(frozen=True)
class CategoryGroup:
    name: str
    categories: list[CaseCategory]


def case_public_status(*, number: str) -> PublicStatus | None:
    """Anyone may ask by number; None for an unknown (or malformed) number. Two queries."""
    number = (number or "").strip().upper()
    if not number or len(number) > MAX_NUMBER_LENGTH or not number.isalnum():
        return None
    case = (
        Case.objects.filter(number=number)
        .select_related("category", "handler_unit")
        .only(
            "number",
            "state",
            "reported_at",
            "due_at",
            "closed_at",
            "category__name",
            "handler_unit__name",
        )
        .first()
    )
    if case is None:
        return None
    steps = [
        PublicStep(action=action, at=at)
        for action, at in case.events.order_by("at", "id").values_list("action", "at")
    ]
    return PublicStatus(
        number=case.number,
        category_name=case.category.name,
        state=case.state,
        reported_at=case.reported_at,
        due_at=case.due_at,
        closed_at=case.closed_at,
        handler_name=case.handler_unit.name if case.handler_unit is not None else "",
        steps=steps,
    )


def my_cases(*, actor) -> list[Case]:
    """The signed-in resident's own reports, newest first (a resident has a handful)."""
    user = getattr(actor, "user", None)
    if not getattr(actor, "is_resident", False) or user is None:
        return []
    rows: QuerySet[Case] = Case.objects.filter(reporter_id=user.pk).select_related("category")
    return list(rows.order_by("-reported_at", "-id")[:MY_CASES_LIMIT])


def report_categories(*, anonymous_only: bool) -> list[CategoryGroup]:
    """Leaf categories grouped by their class, in catalogue order. A visitor without an account
    may report only where the category allows anonymous reports."""
    groups: dict[str, CategoryGroup] = {}
    for category in leaf_categories():
        if anonymous_only and not category.anonymous_allowed:
            continue
        name = category.parent.name if category.parent is not None else ""
        groups.setdefault(name, CategoryGroup(name=name, categories=[])).categories.append(category)
    return list(groups.values())


def report_area() -> dict:
    """The communities' outlines as GeoJSON, to frame the map and show where reports are taken
    (public shapes and names only); grids when there are no communities with a boundary."""
    for kind in (OrgUnitKind.COMMUNITY, OrgUnitKind.GRID):
        rows = list(
            OrgUnit.objects.filter(kind=kind, is_active=True, boundary__isnull=False)
            .order_by("path")
            .values("name", "boundary")[:500]
        )
        if rows:
            return {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": row["boundary"],
                        "properties": {"name": row["name"]},
                    }
                    for row in rows
                ],
            }
    return {"type": "FeatureCollection", "features": []}
