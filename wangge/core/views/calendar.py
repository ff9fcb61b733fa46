"""Calendar pages: a year as a month grid, editing one day, uploading a holiday schedule.

Any staff user may look; only admins (with their second factor) see the edit controls and reach
the edit pages, and the services refuse everyone else again.
"""

from __future__ import annotations

import calendar as std_calendar
from dataclasses import dataclass
from datetime import date

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ..calendar import holiday_name_display
from ..calendar_files import MAX_FILE_BYTES
from ..calendar_services import (
    calendar_day_get,
    calendar_day_set,
    calendar_import,
    calendar_year_days,
    calendar_years,
)
from ..decorators import staff_role_required
from ..errors import NotFound, ValidationFailed
from ..models import CalendarDay, CalendarDayKind
from ..scope import request_actor

KIND_SHORT: dict[str, object] = {
    CalendarDayKind.WORKDAY: "",
    CalendarDayKind.WEEKEND: gettext_lazy("Off"),
    CalendarDayKind.HOLIDAY: gettext_lazy("Holiday"),
    CalendarDayKind.ADJUSTED_WORKDAY: gettext_lazy("Worked"),
}
WEEKDAY_HEADINGS = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]
MONTH_NAMES = [
    gettext_lazy("January"),
    gettext_lazy("February"),
    gettext_lazy("March"),
    gettext_lazy("April"),
    gettext_lazy("May"),
    gettext_lazy("June"),
    gettext_lazy("July"),
    gettext_lazy("August"),
    gettext_lazy("September"),
    gettext_lazy("October"),
    gettext_lazy("November"),
    gettext_lazy("December"),
]


class CalendarDayForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDayKind.choices)
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("The holiday a day belongs to, e.g. 国庆节."),
    )


class CalendarImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Schedule file (.csv or .xlsx)"))


@dataclass(frozen=True)
class DayCell:
    date: date | None  # None pads the first and last week of a month
    kind: str = ""
    name: str = ""
    short: str = ""


def _months(year: int, days: list[CalendarDay]) -> list[dict]:
    by_date = {day.date: day for day in days}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in std_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                row = by_date.get(day) if day.month == month else None
                if row is None:
                    cells.append(DayCell(None))
                else:
                    cells.append(
                        DayCell(
                            day,
                            row.kind,
                            holiday_name_display(row.name),
                            str(KIND_SHORT.get(row.kind, "")),
                        )
                    )
            weeks.append(cells)
        months.append({"number": month, "name": MONTH_NAMES[month - 1], "weeks": weeks})
    return months


def _year_context(actor, year: int, **extra) -> dict:
    years = calendar_years(actor=actor)
    try:
        days = calendar_year_days(actor=actor, year=year)
    except ValidationFailed:
        days = []
    return {
        "year": year,
        "covered": bool(days),
        "months": _months(year, days) if days else [],
        "years": years,
        "previous_year": year - 1,
        "next_year": year + 1,
        "weekday_headings": WEEKDAY_HEADINGS,
        "can_edit": actor.has_role("admin"),
        "import_form": extra.pop("import_form", None) or CalendarImportForm(),
        "kinds": CalendarDayKind.choices,
        **extra,
    }


def _year_param(value: str | None) -> int:
    if not value:
        return timezone.localdate().year
    try:
        year = int(value)
    except ValueError:
        raise Http404 from None
    if not 1900 <= year <= 2100:
        raise Http404
    return year


@staff_role_required()
def calendar_year_page(request):
    actor = request_actor(request)
    year = _year_param(request.GET.get("year"))
    return render(request, "core/calendar_year.html", _year_context(actor, year))


@staff_role_required("admin")
@require_http_methods(["GET", "POST"])
def calendar_day_page(request, day: str):
    actor = request_actor(request)
    try:
        the_date = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    try:
        row = calendar_day_get(actor=actor, date=the_date)
    except NotFound:
        raise Http404 from None
    form = CalendarDayForm(request.POST or None, initial={"kind": row.kind, "name": row.name})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            calendar_day_set(
                actor=actor,
                date=the_date,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
            )
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("%(date)s saved.") % {"date": the_date.isoformat()})
            return HttpResponseRedirect(
                f"{reverse('calendar')}?year={the_date.year}#month-{the_date.month}"
            )
    if request.method == "POST":
        status = 422
    return render(
        request,
        "core/calendar_day.html",
        {"day": row, "name_display": holiday_name_display(row.name), "form": form},
        status=status,
    )


@staff_role_required("admin")
@require_POST
def calendar_import_page(request):
    actor = request_actor(request)
    form = CalendarImportForm(request.POST, request.FILES)
    year = _year_param(request.POST.get("year"))
    row_errors: list[dict] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error(
                "file", _("The file is larger than 1 MB; a holiday schedule is far smaller.")
            )
        else:
            try:
                result = calendar_import(actor=actor, file_name=upload.name, content=upload.read())
            except ValidationFailed as exc:
                form.add_error("file", str(exc.message))
                row_errors = exc.detail.get("errors", [])
            else:
                messages.success(
                    request,
                    _("Imported %(rows)s rows, %(changed)s days changed.")
                    % {"rows": result.rows, "changed": result.changed},
                )
                target = result.years_added[0] if result.years_added else year
                return HttpResponseRedirect(f"{reverse('calendar')}?year={target}")
    context = _year_context(actor, year, import_form=form, row_errors=row_errors)
    return render(request, "core/calendar_year.html", context, status=422)


urlpatterns = [
    path("calendar/", calendar_year_page, name="calendar"),
    path("calendar/days/<str:day>/", calendar_day_page, name="calendar_day"),
    path("calendar/import/", calendar_import_page, name="calendar_import"),
]
