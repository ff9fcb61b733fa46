"""The case deadline policy (DESIGN rule 4): one place that says when each stage is due.

Stages: reported → accept within `accept_hours` working hours; accepted → dispatch within
`dispatch_hours`; dispatched / in progress → handle within `handle_days` working days, due at the
end of that day's service hours; handled / verified → verify and close within
WANGGE_CASE_VERIFY_HOURS working hours. Working time follows the holding unit's service hours.

A deadline counted through a year whose holidays are not confirmed yet (not in the calendar table:
weekends are the only rest days there) is still set, and the case carries `calendar_warning` so
that pages mark it "holidays not yet confirmed". Only a date the calendar cannot count in at all
(outside core.calendar.SUPPORTED_YEARS) leaves the deadlines None, with the same flag.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings

from wangge.core.calendar import (
    DEFAULT_SCHEDULE,
    LOCAL_TZ,
    CalendarNotCovered,
    ServiceSchedule,
    add_working_days,
    add_working_hours,
    calendar_is_provisional,
    working_time_between,
)
from wangge.core.revisions import DIRECTORY, RevisionCache
from wangge.orgs.models import OrgUnit
from wangge.orgs.service_hours import service_schedule_for

from .enums import CaseState
from .models import Case, CaseCategory


def verify_hours() -> int:
    return int(getattr(settings, "WANGGE_CASE_VERIFY_HOURS", 8))


# Service hours per unit path; ServiceHours writes go through audit_org, which bumps DIRECTORY.
_schedules: RevisionCache[dict[str, ServiceSchedule]] = RevisionCache(DIRECTORY, dict)


def schedule_for(unit: OrgUnit | None) -> ServiceSchedule:
    if unit is None:
        return DEFAULT_SCHEDULE
    cached = _schedules.get()
    schedule = cached.get(unit.path)
    if schedule is None:
        schedule = cached[unit.path] = service_schedule_for(unit)
    return schedule


def working_hours_before(moment: datetime, hours: float, schedule: ServiceSchedule) -> datetime:
    """The latest moment from which `hours` of working time have passed by `moment`: the inverse
    of add_working_hours. A deadline at or before it has been overdue that many working hours
    (nights, weekends and holidays do not count; an adjusted working Saturday does).
    Raises CalendarNotCovered."""
    wanted = timedelta(hours=hours)
    if wanted <= timedelta(0):
        return moment
    # Working time never exceeds wall-clock time: start looking on the day `hours` ago.
    day = (moment.astimezone(LOCAL_TZ) - wanted).date()
    while True:
        start = datetime.combine(day, time(0), LOCAL_TZ)
        worked = working_time_between(start, moment, schedule)
        if worked >= wanted:
            break
        day -= timedelta(days=1)
    found = add_working_hours(start, (worked - wanted).total_seconds() / 3600, schedule)
    # On the end of a range (12:00) the rest up to the next range (14:00) has the same working
    # time left: the latest such moment is the next range's start.
    return add_working_hours(found, 0, schedule)


def end_of_service_day(day: date, schedule: ServiceSchedule) -> datetime:
    return datetime.combine(day, schedule.periods(day)[1][1], LOCAL_TZ)


def handle_deadline(now: datetime, days: int, schedule: ServiceSchedule) -> datetime:
    """The end of service hours on the `days`-th working day after `now`'s local day."""
    day = add_working_days(now.astimezone(LOCAL_TZ).date(), days)
    return end_of_service_day(day, schedule)


def counted_provisionally(start: datetime, *deadlines: datetime | None) -> bool:
    """Whether the deadlines counted from `start` went through a year not confirmed yet."""
    known = [deadline for deadline in deadlines if deadline is not None]
    return calendar_is_provisional(start, max(known, default=start))


@dataclass(frozen=True)
class Deadlines:
    stage_due_at: datetime | None
    due_at: datetime | None
    calendar_warning: bool


def stage_deadline(
    state: str, category: CaseCategory, now: datetime, schedule: ServiceSchedule
) -> datetime | None:
    """When the stage that starts now in `state` is due; None for a finished case.
    Raises CalendarNotCovered."""
    if state == CaseState.REPORTED:
        return add_working_hours(now, category.accept_hours, schedule)
    if state == CaseState.ACCEPTED:
        return add_working_hours(now, category.dispatch_hours, schedule)
    if state in (CaseState.DISPATCHED, CaseState.IN_PROGRESS):
        return handle_deadline(now, category.handle_days, schedule)
    if state in (CaseState.HANDLED, CaseState.VERIFIED):
        return add_working_hours(now, verify_hours(), schedule)
    return None


def intake_deadlines(
    category: CaseCategory, state: str, now: datetime, schedule: ServiceSchedule
) -> Deadlines:
    try:
        stage_due_at = stage_deadline(state, category, now, schedule)
        due_at = handle_deadline(now, category.handle_days, schedule)
    except CalendarNotCovered:
        return Deadlines(None, None, True)
    return Deadlines(stage_due_at, due_at, counted_provisionally(now, stage_due_at, due_at))


def restage(case: Case, now: datetime, *, reset_due: bool = False) -> None:
    """Set the deadline of the stage the case has just entered (and, on a reopen, a new due
    date for the whole case). The flag follows the new deadlines: set while they run through a
    year not confirmed yet, cleared once they no longer do."""
    schedule = schedule_for(case.handler_unit)
    try:
        case.stage_due_at = stage_deadline(case.state, case.category, now, schedule)
        if reset_due:
            case.due_at = handle_deadline(now, case.category.handle_days, schedule)
    except CalendarNotCovered:
        case.stage_due_at = case.due_at = None
        case.calendar_warning = True
        return
    case.calendar_warning = counted_provisionally(now, case.stage_due_at, case.due_at)


def shift_for_pause(case: Case, paused_at: datetime, resumed_at: datetime) -> timedelta:
    """Move the stage and case deadlines forward by the working time spent paused; returns it.

    Zero working time (a pause over a weekend) moves nothing: add_working_hours(x, 0) would push
    a deadline that sits on the end of a service day to the next morning.
    """
    schedule = schedule_for(case.handler_unit)
    try:
        spent = working_time_between(paused_at, resumed_at, schedule)
        if spent > timedelta(0):
            hours = spent.total_seconds() / 3600
            if case.stage_due_at is not None:
                case.stage_due_at = add_working_hours(case.stage_due_at, hours, schedule)
            if case.due_at is not None:
                case.due_at = add_working_hours(case.due_at, hours, schedule)
            case.calendar_warning = counted_provisionally(paused_at, case.stage_due_at, case.due_at)
        return spent
    except CalendarNotCovered:
        case.stage_due_at = case.due_at = None
        case.calendar_warning = True
        return timedelta(0)
