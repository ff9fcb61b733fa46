"""Working-day calendar: deadline arithmetic and the days of a year.

Any signed-in user may call these; the calendar is the same for everyone.
"""

import datetime

from ninja import Query, Router, Schema

from wangge.core.calendar import add_working_days, calendar_is_provisional
from wangge.core.calendar_services import calendar_year_days
from wangge.core.scope import request_actor

router = Router(tags=["calendar"])


class DateOut(Schema):
    date: datetime.date
    # True when the count ran through a year whose holidays are not in the calendar yet (only
    # weekends were rest days there): the answer may move once that year's schedule is imported.
    provisional: bool


class CalendarDayOut(Schema):
    date: datetime.date
    kind: str
    name: str


class CalendarYearOut(Schema):
    year: int
    days: list[CalendarDayOut]


@router.get("/add-working-days", response=DateOut, summary="Add working days to a date")
def add_working_days_get(request, date: datetime.date, days: int = Query(..., ge=0, le=3660)):
    """The `days`-th working day after `date` (counting starts the next day).

    `days` = 0 gives `date` itself when it is a working day, else the next working day. Through a
    year whose holidays are not in the calendar yet only weekends are rest days, and `provisional`
    is true. A date outside the years the calendar can count in (2000-2101) answers 422 with code
    `calendar_not_covered`.
    """
    result = add_working_days(date, days)
    return {"date": result, "provisional": calendar_is_provisional(date, result)}


@router.get("/days", response=CalendarYearOut, summary="Every day of a year")
def calendar_days_get(request, year: int = Query(..., ge=1900, le=2100)):
    days = calendar_year_days(actor=request_actor(request), year=year)
    return {
        "year": year,
        "days": [{"date": day.date, "kind": day.kind, "name": day.name} for day in days],
    }
