"""Case statistics for an actor: totals, a series and breakdowns, all from the rollups.

`case_stats` answers for one org unit (default: the top unit the actor sees), a period of
reported days and optionally a category (a class includes its sub-classes). A unit outside the
actor's scope is NotFound, exactly like a missing one. A department's figures are those it
handled (the "handler" rows); every other unit's are the cases placed in its subtree.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound, ValidationFailed
from wangge.core.scope import path_in_scope
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import unit_not_found, visible_paths

from ..models import CaseCategory
from .indicators import Indicators
from .models import COUNTERS, CaseRollup

GROUPINGS = ("day", "week", "month")
MAX_DAYS = 366 * 5
SUMS = {name: Sum(name) for name in COUNTERS}


@dataclass
class CaseStats:
    unit: OrgUnit
    dimension: str
    start: date
    end: date
    category: CaseCategory | None
    group_by: str
    totals: Indicators
    series: list[tuple[date, Indicators]] = field(default_factory=list)
    by_unit: list[tuple[OrgUnit, Indicators]] = field(default_factory=list)
    by_department: list[tuple[OrgUnit, Indicators]] = field(default_factory=list)
    by_category: list[tuple[CaseCategory, Indicators]] = field(default_factory=list)
    by_class: list[tuple[CaseCategory, Indicators]] = field(default_factory=list)


def stats_unit(actor, unit_code: str | None) -> OrgUnit:
    """The unit asked for, or the top unit the actor sees; NotFound out of scope."""
    paths = visible_paths(actor)
    if unit_code:
        unit = OrgUnit.objects.filter(code=unit_code).first()
        if unit is None or not path_in_scope(unit.path, paths):
            raise unit_not_found(unit_code)
        return unit
    if "/" in paths:
        unit = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    else:
        unit = OrgUnit.objects.filter(path__in=paths).order_by("path").first()
    if unit is None:
        raise NotFound(_("You see no org unit."), field="unit")
    return unit


def stats_unit_choices(actor, unit: OrgUnit) -> list[OrgUnit]:
    """For the unit filter: the current unit's ancestors the actor sees, itself, its children."""
    paths = visible_paths(actor)
    codes = [code for code in unit.path.split("/") if code]
    above = [
        found
        for found in OrgUnit.objects.filter(code__in=codes).order_by("path")
        if path_in_scope(found.path, paths)
    ]
    return above + list(OrgUnit.objects.filter(parent=unit).order_by("kind", "code"))


def category_classes() -> list[CaseCategory]:
    return list(CaseCategory.objects.filter(parent__isnull=True, is_active=True))


def category_ids(code: str) -> tuple[CaseCategory, list[int]]:
    """The category and the ids of it and everything below it."""
    found = CaseCategory.objects.filter(code=code).first()
    if found is None:
        raise ValidationFailed(
            _("Category %(code)s does not exist.") % {"code": code},
            code="unknown",
            field="category",
        )
    ids, level = [found.pk], [found.pk]
    while level:
        level = list(CaseCategory.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        ids += level
    return found, ids


def check_period(start: date, end: date) -> None:
    if end < start:
        raise ValidationFailed(
            _("The period ends before it starts."), code="invalid_period", field="end"
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(
            _("A period may be at most %(days)s days.") % {"days": MAX_DAYS},
            code="too_long",
            field="end",
        )


def bucket(day: date, group_by: str) -> date:
    if group_by == "week":
        return day - timedelta(days=day.weekday())
    if group_by == "month":
        return day.replace(day=1)
    return day


def buckets(start: date, end: date, group_by: str) -> list[date]:
    found, day = [], bucket(start, group_by)
    while day <= end:
        found.append(day)
        if group_by == "month":
            day = (day + timedelta(days=32)).replace(day=1)
        else:
            day += timedelta(days=7 if group_by == "week" else 1)
    return found


def _counts(row: dict) -> tuple[int, ...]:
    return tuple(row[name] or 0 for name in COUNTERS)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def period_parts(start: date, end: date) -> list[tuple[str, date, date]]:
    """(grain, first, last) ranges covering [start, end]: month rows for the whole months inside,
    day rows for the days before and after them. A year is then 12 rows, not 365."""
    first_full = start if start.day == 1 else next_month(start)
    last_full = month_start(end) if next_month(end) == end + timedelta(days=1) else None
    if last_full is None:
        last_full = (month_start(end) - timedelta(days=1)).replace(day=1)
    if first_full > last_full:
        return [(CaseRollup.DAY, start, end)]
    parts = [(CaseRollup.MONTH, first_full, last_full)]
    if start < first_full:
        parts.append((CaseRollup.DAY, start, first_full - timedelta(days=1)))
    last_day = next_month(last_full) - timedelta(days=1)
    if last_day < end:
        parts.append((CaseRollup.DAY, last_day + timedelta(days=1), end))
    return parts


class RollupQuery:
    """Summed counters of one dimension over a period, for the categories asked for."""

    def __init__(self, dimension: str, start: date, end: date, category_ids: list[int]) -> None:
        self.dimension = dimension
        self.parts = period_parts(start, end)
        self.start, self.end = start, end
        self.categories = category_ids or [CaseRollup.ALL_CATEGORIES]

    def _rows(self, grain: str, first: date, last: date, each: bool):
        rows = CaseRollup.objects.filter(
            dimension=self.dimension, grain=grain, day__gte=first, day__lte=last
        )
        if each and self.categories == [CaseRollup.ALL_CATEGORIES]:
            return rows.filter(category_id__gt=CaseRollup.ALL_CATEGORIES)
        return rows.filter(category_id__in=self.categories)

    def sums(self, group: str, *, parts=None, each: bool = False, **filters) -> dict:
        """{value of `group`: counts}, summed over the period's parts. `each`: the categories'
        own rows (to group by category) rather than the all-categories rows."""
        found: dict = {}
        for grain, first, last in parts or self.parts:
            rows = self._rows(grain, first, last, each)
            for row in rows.filter(**filters).values(group).annotate(**SUMS).order_by():
                counts = _counts(row)
                old = found.get(row[group])
                found[row[group]] = (
                    counts
                    if old is None
                    else tuple(a + b for a, b in zip(old, counts, strict=True))
                )
        return found

    def series(self, unit_code: str, group_by: str) -> dict:
        parts = self.parts if group_by == "month" else [(CaseRollup.DAY, self.start, self.end)]
        return self.sums("day", parts=parts, unit_code=unit_code)


def _breakdown(query: RollupQuery, units: list[OrgUnit]) -> list[tuple[OrgUnit, Indicators]]:
    if not units:
        return []
    by_code = query.sums("unit_code", unit_code__in=[unit.code for unit in units])
    return [(unit, Indicators.of(by_code.get(unit.code))) for unit in units]


def case_stats(
    *,
    actor,
    start: date,
    end: date,
    unit_code: str | None = None,
    category_code: str | None = None,
    group_by: str = "day",
) -> CaseStats:
    if group_by not in GROUPINGS:
        raise ValidationFailed(
            _("Group by day, week or month."), code="invalid_choice", field="group_by"
        )
    check_period(start, end)
    unit = stats_unit(actor, unit_code)
    category, ids = category_ids(category_code) if category_code else (None, [])
    dimension = CaseRollup.HANDLER if unit.kind == OrgUnitKind.DEPARTMENT else CaseRollup.PLACE
    query = RollupQuery(dimension, start, end, ids)
    totals = query.sums("unit_code", unit_code=unit.code).get(unit.code)
    per_category = query.sums("category_id", each=True, unit_code=unit.code)
    categories = {c.pk: c for c in CaseCategory.objects.filter(pk__in=list(per_category))}
    parents = {
        c.pk: c
        for c in CaseCategory.objects.filter(
            pk__in={c.parent_id for c in categories.values() if c.parent_id}
        )
    }
    classes: dict[int, list[tuple[int, ...]]] = {}
    for pk, counts in per_category.items():
        top = categories[pk].parent_id or pk
        classes.setdefault(top, []).append(counts)
    parents.update({pk: categories[pk] for pk in classes if pk in categories})

    per_bucket: dict[date, list[tuple[int, ...]]] = {}
    for day, counts in query.series(unit.code, group_by).items():
        per_bucket.setdefault(bucket(day, group_by), []).append(counts)

    if dimension == CaseRollup.PLACE:
        children = list(
            OrgUnit.objects.filter(parent=unit)
            .exclude(kind=OrgUnitKind.DEPARTMENT)
            .order_by("code")
        )
        departments = list(
            OrgUnit.objects.filter(
                kind=OrgUnitKind.DEPARTMENT, path__startswith=unit.path
            ).order_by("code")
        )
    else:
        children, departments = [], [unit]
    return CaseStats(
        unit=unit,
        dimension=dimension,
        start=start,
        end=end,
        category=category,
        group_by=group_by,
        totals=Indicators.of(totals),
        series=[
            (day, Indicators.sum(per_bucket.get(day, []))) for day in buckets(start, end, group_by)
        ],
        by_unit=_breakdown(RollupQuery(CaseRollup.PLACE, start, end, ids), children),
        by_department=_breakdown(RollupQuery(CaseRollup.HANDLER, start, end, ids), departments),
        by_category=sorted(
            ((categories[pk], Indicators.of(counts)) for pk, counts in per_category.items()),
            key=lambda item: item[0].code,
        ),
        by_class=sorted(
            ((parents[pk], Indicators.sum(items)) for pk, items in classes.items()),
            key=lambda item: item[0].code,
        ),
    )
