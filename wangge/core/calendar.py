"""The working-day calendar: which days are worked, and deadline arithmetic over them.

The table (CalendarYear, CalendarDay) is seeded from `chinesecalendar` and edited by admins (see
calendar_services). The arithmetic here runs over an in-memory snapshot of that table, held in a
RevisionCache on revision "calendar" that every calendar write bumps, so a call costs a bisect over
a sorted array of workday ordinals, not a query. It is called on every case intake.

A year the table does not cover (the State Council publishes each year's holidays only around
November, and `chinesecalendar` knows no year before it does) is *provisional*: Monday to Friday
are worked, Saturdays and Sundays are not, and there are no holidays. Deadlines in such a year are
still computed, and callers ask `calendar_is_provisional` to mark them "holidays not yet
confirmed" until an admin loads that year's schedule. Only a date outside SUPPORTED_YEARS raises
CalendarNotCovered (a ValidationFailed: such a date is an input error, never a 5xx).
All datetimes are aware; days and service hours are read in Asia/Shanghai.
"""

from __future__ import annotations

import calendar as std_calendar
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .calendar_files import MAX_YEAR, MIN_YEAR
from .errors import ValidationFailed
from .models import CalendarDay, CalendarDayKind, CalendarYear
from .revisions import RevisionCache

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
CALENDAR_REVISION = "calendar"
WORKING_KINDS = frozenset({CalendarDayKind.WORKDAY, CalendarDayKind.ADJUSTED_WORKDAY})
# Years the arithmetic can count in: confirmed ones from the table, the rest provisional. Every
# year a schedule file may hold, and one more so that a deadline counted late in the last one
# still has an answer.
SUPPORTED_YEARS = range(MIN_YEAR, MAX_YEAR + 2)

# chinesecalendar stores English holiday names; they are shown translated. Names an admin typed
# (usually Chinese) are shown as typed.
HOLIDAY_NAMES = {
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "National Day": gettext_lazy("National Day"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": gettext_lazy("Anti-Fascist War Victory 70th Anniversary"),
}


def holiday_name_display(name: str) -> str:
    return str(HOLIDAY_NAMES.get(name, name))


class CalendarNotCovered(ValidationFailed):
    """A date falls in a year the calendar cannot count in (outside SUPPORTED_YEARS), or an admin
    edits a day of a year whose schedule is not in the table yet."""

    code = "calendar_not_covered"

    def __init__(self, year: int, *, field: str | None = "date") -> None:
        message = _(
            "The working-day calendar does not cover the year %(year)s; an admin must import "
            "that year's holiday schedule first."
        ) % {"year": year}
        super().__init__(message, field=field, detail={"year": year})
        self.year = year


# --- service hours -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceSchedule:
    """When a unit serves the public on a working day: a morning and an afternoon range.

    On the ISO weekdays (1 = Monday) in `extended_weekdays` the afternoon runs until
    `extended_end` (extended hours). Service time exists only on working days; an adjusted working
    Saturday gets the ordinary hours (plus extended hours if 6 is listed).
    """

    morning: tuple[time, time] = (time(8, 30), time(12, 0))
    afternoon: tuple[time, time] = (time(14, 0), time(17, 30))
    extended_weekdays: frozenset[int] = field(default_factory=frozenset)
    extended_end: time | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "extended_weekdays", frozenset(self.extended_weekdays))
        (m_start, m_end), (a_start, a_end) = self.morning, self.afternoon
        if not m_start < m_end <= a_start < a_end:
            raise ValueError(
                "service hours must run morning start < morning end <= afternoon "
                "start < afternoon end"
            )
        if not self.extended_weekdays <= set(range(1, 8)):
            raise ValueError("extended_weekdays must be ISO weekdays 1..7")
        if self.extended_end is not None and self.extended_end <= a_end:
            raise ValueError("extended_end must be later than the afternoon end")

    def periods(self, day: date) -> tuple[tuple[time, time], tuple[time, time]]:
        """The day's service ranges (assuming it is a working day)."""
        afternoon_end = self.afternoon[1]
        if self.extended_end is not None and day.isoweekday() in self.extended_weekdays:
            afternoon_end = self.extended_end
        return (self.morning, (self.afternoon[0], afternoon_end))


DEFAULT_SCHEDULE = ServiceSchedule()


# --- the snapshot ------------------------------------------------------------------------------


@cache  # bounded: only years in a snapshot's span
def weekday_ordinals(year: int) -> tuple[int, ...]:
    """The working days of a provisional year: Monday to Friday, no holidays."""
    first = date(year, 1, 1).toordinal()
    return tuple(
        ordinal
        for ordinal in range(first, first + (366 if std_calendar.isleap(year) else 365))
        if date.fromordinal(ordinal).weekday() < 5
    )


@dataclass(frozen=True)
class CalendarSnapshot:
    """Confirmed years (`years`, from the table) and the sorted ordinals of every working day in
    SUPPORTED_YEARS: the table's in confirmed years, Monday to Friday in provisional ones."""

    years: frozenset[int]
    workdays: tuple[int, ...]
    workday_set: frozenset[int] = field(repr=False)
    span: range = SUPPORTED_YEARS

    @classmethod
    def build(cls, years: Iterable[int], workday_dates: Iterable[date]) -> CalendarSnapshot:
        years = frozenset(years)
        span = range(
            min([SUPPORTED_YEARS.start, *years]), max([SUPPORTED_YEARS.stop - 1, *years]) + 1
        )
        confirmed = {day.toordinal() for day in workday_dates if day.year in years}
        ordinals = sorted(
            confirmed.union(*(weekday_ordinals(year) for year in span if year not in years))
        )
        return cls(
            years=years, workdays=tuple(ordinals), workday_set=frozenset(ordinals), span=span
        )

    def require_year(self, year: int, *, field: str | None = "date") -> None:
        if year not in self.span:
            raise CalendarNotCovered(year, field=field)

    def require_years(self, first: int, last: int, *, field: str | None = "date") -> None:
        self.require_year(first, field=field)
        self.require_year(last, field=field)

    def is_provisional(self, first: int, last: int | None = None) -> bool:
        """Whether any year from `first` to `last` (inclusive) still lacks its holiday schedule."""
        last = first if last is None else last
        return any(year not in self.years for year in range(first, last + 1))


def _load_snapshot() -> CalendarSnapshot:
    declared = set(CalendarYear.objects.values_list("year", flat=True))
    rows = list(CalendarDay.objects.values_list("date", "kind"))
    per_year = Counter(day.year for day, _kind in rows)
    # A year counts as covered only when every one of its days has a row: a half-filled year
    # would make missing days look like rest days, which is a silent guess.
    complete = {
        year for year in declared if per_year[year] == (366 if std_calendar.isleap(year) else 365)
    }
    return CalendarSnapshot.build(complete, (day for day, kind in rows if kind in WORKING_KINDS))


_cache: RevisionCache[CalendarSnapshot] = RevisionCache(CALENDAR_REVISION, _load_snapshot)


def calendar_snapshot() -> CalendarSnapshot:
    return _cache.get()


def calendar_cache_clear() -> None:
    """Forget this process's snapshot; calendar writes call it so their own reads are fresh."""
    _cache.clear()


def _snap(calendar: CalendarSnapshot | None) -> CalendarSnapshot:
    return calendar if calendar is not None else _cache.get()


# --- day arithmetic ----------------------------------------------------------------------------


def is_workday(day: date, *, calendar: CalendarSnapshot | None = None) -> bool:
    snap = _snap(calendar)
    snap.require_year(day.year)
    return day.toordinal() in snap.workday_set


def add_working_days(day: date, days: int, *, calendar: CalendarSnapshot | None = None) -> date:
    """The `days`-th working day after `day`; counting starts the next day.

    `days` = 0 returns `day` itself when it is a working day, else the next working day: a matter
    accepted on a holiday with "0 working days" is due the first day the office is open.
    Raises CalendarNotCovered only if `day` or the result lies outside SUPPORTED_YEARS.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValidationFailed(_("Days must be a whole number, 0 or more."), field="days")
    snap = _snap(calendar)
    snap.require_year(day.year)
    ordinal = day.toordinal()
    if days == 0:
        index = bisect_left(snap.workdays, ordinal)
    else:
        index = bisect_right(snap.workdays, ordinal) + days - 1
    if index >= len(snap.workdays):
        raise CalendarNotCovered(snap.span.stop, field="days")
    return date.fromordinal(snap.workdays[index])


def working_days_between(
    start: date, end: date, *, calendar: CalendarSnapshot | None = None
) -> int:
    """How many working days lie in (start, end]; 0 when end <= start."""
    if end <= start:
        return 0
    snap = _snap(calendar)
    snap.require_years(start.year, end.year)
    return bisect_right(snap.workdays, end.toordinal()) - bisect_right(
        snap.workdays, start.toordinal()
    )


# --- time arithmetic ---------------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _local_periods(day: date, schedule: ServiceSchedule) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, start, LOCAL_TZ), datetime.combine(day, end, LOCAL_TZ))
        for start, end in schedule.periods(day)
    ]


def _service_time(
    start: datetime, end: datetime, schedule: ServiceSchedule, snap: CalendarSnapshot
) -> timedelta:
    """Service time on working days inside [start, end); both already in local time."""
    total = timedelta(0)
    if end <= start:
        return total
    snap.require_years(start.year, end.year)
    first = bisect_left(snap.workdays, start.date().toordinal())
    last = bisect_right(snap.workdays, end.date().toordinal())
    for ordinal in snap.workdays[first:last]:
        for p_start, p_end in _local_periods(date.fromordinal(ordinal), schedule):
            overlap = min(p_end, end) - max(p_start, start)
            if overlap > timedelta(0):
                total += overlap
    return total


def _merge(ranges: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def working_time_between(
    start: datetime,
    end: datetime,
    schedule: ServiceSchedule = DEFAULT_SCHEDULE,
    pauses: Iterable[tuple[datetime, datetime]] = (),
    *,
    calendar: CalendarSnapshot | None = None,
) -> timedelta:
    """Working time in [start, end): service hours on working days, minus the pauses.

    Zero when end <= start. Pauses may overlap each other or stick out of [start, end); only the
    part of their union inside the range counts, so a pause never takes away more than its length.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    snap = _snap(calendar)
    start, end = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
    if end <= start:
        return timedelta(0)
    clipped = []
    for pause_start, pause_end in pauses:
        _require_aware(pause_start, "pause start")
        _require_aware(pause_end, "pause end")
        if pause_end < pause_start:
            raise ValueError("a pause must not end before it starts")
        pause_start, pause_end = max(pause_start, start), min(pause_end, end)
        if pause_start < pause_end:
            clipped.append((pause_start.astimezone(LOCAL_TZ), pause_end.astimezone(LOCAL_TZ)))
    total = _service_time(start, end, schedule, snap)
    for pause_start, pause_end in _merge(clipped):
        total -= _service_time(pause_start, pause_end, schedule, snap)
    return total


def add_working_hours(
    start: datetime,
    hours: float,
    schedule: ServiceSchedule = DEFAULT_SCHEDULE,
    *,
    calendar: CalendarSnapshot | None = None,
) -> datetime:
    """The moment when `hours` of service time have passed since `start` (local time, aware).

    Time is counted only inside service hours on working days. A result that lands exactly on the
    end of a range is that end (12:00, not 14:00). `hours` = 0 returns `start` if it is inside
    service hours, else the start of the next range.
    """
    _require_aware(start, "start")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 <= hours < 1e6:
        raise ValidationFailed(_("Hours must be a number, 0 or more."), field="hours")
    snap = _snap(calendar)
    local = start.astimezone(LOCAL_TZ)
    snap.require_year(local.year)
    remaining = timedelta(hours=hours)
    index = bisect_left(snap.workdays, local.date().toordinal())
    while True:
        if index >= len(snap.workdays):
            raise CalendarNotCovered(snap.span.stop, field="hours")
        day = date.fromordinal(snap.workdays[index])
        for p_start, p_end in _local_periods(day, schedule):
            if p_end <= local:
                continue
            begin = max(p_start, local)
            if remaining <= p_end - begin:
                return begin + remaining
            remaining -= p_end - begin
        index += 1


# --- provisional years -------------------------------------------------------------------------


def calendar_is_provisional(
    first: date | datetime,
    last: date | datetime | None = None,
    *,
    calendar: CalendarSnapshot | None = None,
) -> bool:
    """Whether a deadline counted from `first` to `last` went through a year whose holidays are
    not confirmed yet (so it counted weekends only): the UI marks it "holidays not yet confirmed".
    Datetimes are read in local time."""

    def year_of(value: date | datetime) -> int:
        return value.astimezone(LOCAL_TZ).year if isinstance(value, datetime) else value.year

    return _snap(calendar).is_provisional(year_of(first), year_of(last or first))


# --- warnings ----------------------------------------------------------------------------------

WARNING_FROM_MONTH = 11  # the State Council publishes next year's holidays around November


def calendar_unconfirmed_year_warning(
    today: date, *, calendar: CalendarSnapshot | None = None
) -> str | None:
    """A warning while this year's holidays, or from 1 November next year's, are not in the
    calendar (deadlines there are provisional); None otherwise."""
    snap = _snap(calendar)
    if today.year not in snap.years:
        return _(
            "The %(year)s holidays are not confirmed: deadlines in %(year)s count only Saturdays "
            'and Sundays as rest days and are marked "holidays not yet confirmed" until the '
            "%(year)s holiday schedule is imported."
        ) % {"year": today.year}
    next_year = today.year + 1
    if today.month < WARNING_FROM_MONTH or next_year in snap.years:
        return None
    return _(
        "The working-day calendar does not cover %(year)s yet. Until the %(year)s holiday "
        "schedule is imported, deadlines in %(year)s count only Saturdays and Sundays as rest "
        'days and are marked "holidays not yet confirmed".'
    ) % {"year": next_year}
