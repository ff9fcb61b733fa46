"""Case statistics (/cases/stats/): indicator tiles, charts, a table by child unit, department
and category, and the same figures as xlsx (?export=xlsx).

The page parses its GET filters, calls `case_stats` (the selector checks scope: a unit outside
the actor's area is NotFound, the 404 page) and renders. Without JavaScript the tiles and tables
are all there; case_stats.js draws the ECharts charts from the embedded series.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from wangge.core.calendar import LOCAL_TZ
from wangge.core.decorators import staff_role_required
from wangge.core.downloads import xlsx_download
from wangge.core.errors import ValidationFailed
from wangge.core.scope import request_actor

from ..stats.export import display, stats_sections, stats_workbook
from ..stats.indicators import INDICATORS, LABELS
from ..stats.selectors import case_stats, category_classes, stats_unit_choices

PERIODS = (
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("this_year", gettext_lazy("This year")),
    ("last_30", gettext_lazy("Last 30 days")),
    ("custom", gettext_lazy("Dates below")),
)
GROUP_LABELS = (
    ("day", gettext_lazy("By day")),
    ("week", gettext_lazy("By week")),
    ("month", gettext_lazy("By month")),
)


def period_dates(key: str, today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    if key == "last_month":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if key == "this_year":
        return today.replace(month=1, day=1), today
    if key == "last_30":
        return today - timedelta(days=29), today
    return first, today


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            _("Give the date as YYYY-MM-DD."), code="invalid_date", field=field
        ) from None


def parse_filters(params, today: date) -> dict:
    """The page's GET parameters as case_stats arguments (ValidationFailed names the field)."""
    period = params.get("period") or "this_month"
    if period not in dict(PERIODS):
        period = "this_month"
    if period == "custom":
        start = _date(params.get("start") or "", "start")
        end = _date(params.get("end") or "", "end")
    else:
        start, end = period_dates(period, today)
    group_by = params.get("group_by") or ("month" if (end - start).days > 62 else "day")
    return {
        "period": period,
        "start": start,
        "end": end,
        "unit_code": params.get("unit") or None,
        "category_code": params.get("category") or None,
        "group_by": group_by,
    }


def chart_data(stats) -> dict:
    return {
        "series": {
            "labels": [day.isoformat() for day, _i in stats.series],
            "reported": [i.reported for _d, i in stats.series],
            "registered": [i.registered for _d, i in stats.series],
            "closed": [i.closed for _d, i in stats.series],
        },
        "units": {
            "labels": [unit.name for unit, _i in stats.by_unit or stats.by_department],
            "reported": [i.reported for _u, i in stats.by_unit or stats.by_department],
            "closed": [i.closed for _u, i in stats.by_unit or stats.by_department],
        },
        "categories": [
            {"name": category.name, "value": i.reported} for category, i in stats.by_class
        ],
        "names": {key: str(LABELS[key]) for key in ("reported", "registered", "closed")},
    }


@staff_role_required()
@require_GET
def stats_page(request) -> HttpResponse:
    actor = request_actor(request)
    today = timezone.now().astimezone(LOCAL_TZ).date()
    error, stats, filters = None, None, {}
    try:
        filters = parse_filters(request.GET, today)
        period = filters.pop("period")
        stats = case_stats(actor=actor, **filters)
    except ValidationFailed as exc:
        error = str(exc.message)
        period = "this_month"
        start, end = period_dates(period, today)
        # The selector's scope check still runs: a bad date must not show another area.
        stats = case_stats(
            actor=actor, unit_code=request.GET.get("unit") or None, start=start, end=end
        )
    if request.GET.get("export") == "xlsx" and error is None:
        name = f"case-stats-{stats.unit.code}-{stats.start:%Y%m%d}-{stats.end:%Y%m%d}.xlsx"
        return xlsx_download(stats_workbook(stats), name)
    query = {
        "period": period,
        "start": stats.start.isoformat(),
        "end": stats.end.isoformat(),
        "category": stats.category.code if stats.category else "",
        "group_by": stats.group_by,
    }
    context = {
        "stats": stats,
        "error": error,
        "period": period,
        "periods": PERIODS,
        "groupings": GROUP_LABELS,
        "units": stats_unit_choices(actor, stats.unit),
        "classes": category_classes(),
        "tiles": [
            {"key": key, "label": label, "value": display(getattr(stats.totals, key), kind)}
            for key, label, kind in INDICATORS
        ],
        "sections": [
            {
                "key": key,
                "title": title,
                "rows": [
                    {
                        "name": name,
                        "link": (
                            "?" + urlencode({**query, "unit": code})
                            if key in ("unit", "department")
                            else ""
                        ),
                        "cells": [
                            display(getattr(figures, name_), kind)
                            for name_, _label, kind in INDICATORS
                        ],
                    }
                    for name, code, figures in rows
                ],
            }
            for key, title, rows in stats_sections(stats)
            if key != "total"
        ],
        "indicators": INDICATORS,
        "export_url": "?" + urlencode({**query, "unit": stats.unit.code, "export": "xlsx"}),
        "charts": chart_data(stats),
    }
    response = render(request, "cases/stats.html", context, status=422 if error else 200)
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [path("stats/", stats_page, name="cases_stats")]
