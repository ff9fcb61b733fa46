"""Case statistics: the indicators of an org unit over a period of reported days, with a series
and breakdowns by child unit, department and category (the figures of /cases/stats/).

Mounted before the cases router: GET /cases/{number} would otherwise take "stats" for a number.
A unit outside the caller's scope is 404, exactly like a missing one.
"""

from datetime import date
from typing import Literal

from ninja import Field, Query, Router, Schema

from wangge.cases.stats.indicators import Indicators
from wangge.cases.stats.selectors import case_stats
from wangge.orgs.actors import request_actor

from .orgs import ErrorOut

router = Router(tags=["cases"])


class StatsQuery(Schema):
    start: date
    end: date
    unit: str = Field("", description="org unit code; empty: the top unit the caller sees")
    category: str = Field("", description="category code; a class includes its sub-classes")
    group_by: Literal["day", "week", "month"] = "day"


class IndicatorsOut(Schema):
    reported: int
    registered: int
    closed: int
    closed_on_time: int
    reworked: int
    extended: int
    overdue: int
    rated: int
    satisfied: int
    handling_seconds: int
    closure_rate: float | None = Field(description="percent: closed / registered")
    on_time_rate: float | None = Field(description="percent: closed by due_at / closed")
    rework_rate: float | None = Field(description="percent: reworked at least once / registered")
    extension_rate: float | None = Field(description="percent: extended at least once / registered")
    overdue_rate: float | None = Field(description="percent: went red or closed late / reported")
    satisfaction_rate: float | None = Field(description="percent: rating >= 4 / rated")
    average_hours: float | None = Field(description="reported to closed, over closed cases")


class RowOut(Schema):
    code: str
    name: str
    indicators: IndicatorsOut


class PointOut(Schema):
    period: date
    indicators: IndicatorsOut


class StatsOut(Schema):
    unit: str
    unit_name: str
    dimension: Literal["place", "handler"]
    start: date
    end: date
    category: str
    group_by: str
    totals: IndicatorsOut
    series: list[PointOut]
    by_unit: list[RowOut]
    by_department: list[RowOut]
    by_class: list[RowOut]
    by_category: list[RowOut]


def _rows(items) -> list[dict]:
    return [
        {"code": item.code, "name": item.name, "indicators": _out(figures)}
        for item, figures in items
    ]


def _out(figures: Indicators) -> dict:
    return figures.as_dict()


@router.get("/cases/stats", response={200: StatsOut, 404: ErrorOut, 422: ErrorOut})
def case_stats_get(request, query: Query[StatsQuery]):
    """Figures of the cases reported in [start, end] (local days), as they stand now."""
    stats = case_stats(
        actor=request_actor(request),
        unit_code=query.unit or None,
        start=query.start,
        end=query.end,
        category_code=query.category or None,
        group_by=query.group_by,
    )
    return {
        "unit": stats.unit.code,
        "unit_name": stats.unit.name,
        "dimension": "handler" if stats.dimension == "h" else "place",
        "start": stats.start,
        "end": stats.end,
        "category": stats.category.code if stats.category else "",
        "group_by": stats.group_by,
        "totals": _out(stats.totals),
        "series": [{"period": day, "indicators": _out(i)} for day, i in stats.series],
        "by_unit": _rows(stats.by_unit),
        "by_department": _rows(stats.by_department),
        "by_class": _rows(stats.by_class),
        "by_category": _rows(stats.by_category),
    }
