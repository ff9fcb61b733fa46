"""Service hours per org unit: which ServiceSchedule the working-time arithmetic uses for a unit.

A unit without its own ServiceHours row uses its nearest ancestor's; with none on the way up it
uses the defaults (08:30-12:00, 14:00-17:30). Only an admin of the unit or of a unit above it may
set them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.core.calendar import DEFAULT_SCHEDULE, ServiceSchedule
from wangge.core.denials import denials_audited
from wangge.core.errors import NotFound, ValidationFailed

from .models import OrgUnit, ServiceHours
from .permissions import audit_org, require_admin


def _schedule_of(row: ServiceHours) -> ServiceSchedule:
    return ServiceSchedule(
        morning=(row.morning_start, row.morning_end),
        afternoon=(row.afternoon_start, row.afternoon_end),
        extended_weekdays=frozenset(int(day) for day in row.extended_weekdays or ()),
        extended_end=row.extended_end if row.extended_weekdays else None,
    )


def _ancestor_codes(path: str) -> list[str]:
    return [code for code in path.split("/") if code]


def service_schedule_for(unit: OrgUnit) -> ServiceSchedule:
    """The unit's own service hours, else its nearest ancestor's, else the defaults. One query."""
    row = (
        ServiceHours.objects.filter(org_unit__code__in=_ancestor_codes(unit.path))
        .order_by("-org_unit__depth")
        .first()
    )
    return _schedule_of(row) if row is not None else DEFAULT_SCHEDULE


def service_schedules_in_use() -> set[ServiceSchedule]:
    """Every schedule some unit works to: the defaults and each unit's own. One query."""
    return {DEFAULT_SCHEDULE, *(_schedule_of(row) for row in ServiceHours.objects.all())}


def _as_time(value: object, field: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationFailed(_("Enter a time like 08:30."), field=field) from None


def _check(
    morning_start, morning_end, afternoon_start, afternoon_end, extended_weekdays, extended_end
) -> tuple[list[time], list[int], time | None]:
    times = [
        _as_time(morning_start, "morning_start"),
        _as_time(morning_end, "morning_end"),
        _as_time(afternoon_start, "afternoon_start"),
        _as_time(afternoon_end, "afternoon_end"),
    ]
    names = ["morning_start", "morning_end", "afternoon_start", "afternoon_end"]
    for earlier, later, name in zip(times, times[1:], names[1:], strict=False):
        must_be_later = name != "afternoon_start"  # the lunch break may be zero-length
        if later < earlier or (must_be_later and later == earlier):
            raise ValidationFailed(
                _(
                    "The times must run in order: morning start, morning end, afternoon start, "
                    "afternoon end."
                ),
                field=name,
            )
    try:
        weekdays = sorted({int(day) for day in extended_weekdays or ()})
    except (TypeError, ValueError):
        weekdays = [0]
    if any(day < 1 or day > 7 for day in weekdays):
        raise ValidationFailed(
            _("Extended-hours days are weekdays 1 (Monday) to 7 (Sunday)."),
            field="extended_weekdays",
        )
    end = None if extended_end in (None, "") else _as_time(extended_end, "extended_end")
    if weekdays and end is None:
        raise ValidationFailed(_("Give the time extended hours end."), field="extended_end")
    if end is not None and not weekdays:
        raise ValidationFailed(_("Choose the days with extended hours."), field="extended_weekdays")
    if end is not None and end <= times[3]:
        raise ValidationFailed(
            _("Extended hours must end after the afternoon end."), field="extended_end"
        )
    return times, weekdays, end


@denials_audited("service_hours.set")
@transaction.atomic
def service_hours_set(
    *,
    actor,
    org_unit_code: str,
    morning_start: time | str,
    morning_end: time | str,
    afternoon_start: time | str,
    afternoon_end: time | str,
    extended_weekdays: Iterable[int] = (),
    extended_end: time | str | None = None,
) -> ServiceHours:
    """Give a unit its own service hours (its subtree inherits them unless overridden)."""
    unit = OrgUnit.objects.filter(code=org_unit_code).first()
    if unit is None:
        raise NotFound(
            _("Org unit %(code)s not found.") % {"code": org_unit_code}, field="org_unit_code"
        )
    require_admin(actor, code=unit.code, path=unit.path)
    times, weekdays, end = _check(
        morning_start, morning_end, afternoon_start, afternoon_end, extended_weekdays, extended_end
    )
    row, created = ServiceHours.objects.select_for_update().get_or_create(
        org_unit=unit,
        defaults={
            "morning_start": times[0],
            "morning_end": times[1],
            "afternoon_start": times[2],
            "afternoon_end": times[3],
            "extended_weekdays": weekdays,
            "extended_end": end,
        },
    )
    if not created:
        row.morning_start, row.morning_end, row.afternoon_start, row.afternoon_end = times
        row.extended_weekdays, row.extended_end = weekdays, end
        row.save()
    audit_org(
        actor,
        "service_hours.set",
        code=unit.code,
        path=unit.path,
        detail={
            "morning": f"{times[0]:%H:%M}-{times[1]:%H:%M}",
            "afternoon": f"{times[2]:%H:%M}-{times[3]:%H:%M}",
            "extended_weekdays": weekdays,
            "extended_end": f"{end:%H:%M}" if end else None,
        },
    )
    return row
