"""Writes and reads of the working-day calendar table.

Only admins edit the calendar. Each edit marks the day's `source` so that re-seeding from a newer
`chinesecalendar` release fills in new years without undoing an admin's corrections. Every write
bumps revision "calendar" so that each process reloads its snapshot (see wangge.core.calendar).
"""

from __future__ import annotations

import calendar as std_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .calendar import CALENDAR_REVISION, CalendarNotCovered, calendar_cache_clear
from .calendar_files import NAME_MAX_LENGTH, kind_fits_weekday, read_schedule
from .errors import NotFound, PermissionDenied, ValidationFailed
from .models import AuditResult, CalendarDay, CalendarDayKind, CalendarDaySource, CalendarYear
from .revisions import revision_bump

ADMIN_ROLE = "admin"
# Rows a re-seed may overwrite; admin edits and imported rows are kept.
RESEEDABLE_SOURCES = (CalendarDaySource.CHINESECALENDAR, CalendarDaySource.DEFAULT)


# --- chinesecalendar ---------------------------------------------------------------------------


def chinesecalendar_years() -> range:
    import chinese_calendar

    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def chinesecalendar_days(year: int) -> list[tuple[date, str, str]]:
    """(date, kind, name) for every day of `year` as the package knows it."""
    import chinese_calendar

    days = []
    for offset in range(366 if std_calendar.isleap(year) else 365):
        day = date(year, 1, 1) + timedelta(days=offset)
        kind: str
        if day in chinese_calendar.workdays:
            kind, name = CalendarDayKind.ADJUSTED_WORKDAY, chinese_calendar.workdays[day]
        elif day in chinese_calendar.holidays:
            kind, name = CalendarDayKind.HOLIDAY, chinese_calendar.holidays[day]
        else:
            kind, name = weekday_default(day), ""
        days.append((day, str(kind), name or ""))
    return days


def weekday_default(day: date) -> str:
    return CalendarDayKind.WEEKEND if day.weekday() >= 5 else CalendarDayKind.WORKDAY


# --- permission --------------------------------------------------------------------------------


def _is_system(actor) -> bool:
    # Commands and migrations act as the system actor (scope.Actor.system()), which holds no grants.
    return bool(getattr(actor, "is_system", False))


def _require_calendar_admin(actor, action: str, object_id: object = "") -> None:
    """Refuse non-admins, recording the denial.

    Called before the service's transaction starts, so the denial row survives the refusal.
    """
    if _is_system(actor) or actor.has_role(ADMIN_ROLE):
        return
    audit_record(
        actor=actor,
        action=action,
        object_type="calendar",
        object_id=object_id,
        result=AuditResult.DENIED,
        detail={"reason": "admin_role_required"},
    )
    raise PermissionDenied(_("Only an admin may change the working-day calendar."))


def _audit(actor, action: str, **fields) -> None:
    # The system actor has no user; name it so the trail does not show an anonymous write.
    audit_record(
        actor=actor, action=action, username="system" if _is_system(actor) else "", **fields
    )


def _written() -> None:
    revision_bump(CALENDAR_REVISION)
    # Clear now, not on commit: this process may read the calendar again inside the same
    # transaction, and the bumped revision tells other processes to reload once it commits.
    calendar_cache_clear()


# --- services ----------------------------------------------------------------------------------


def calendar_seed(*, actor) -> int:
    """Fill in every year `chinesecalendar` covers; returns how many years that is.

    Missing years and days are created; days that still hold package or weekday-default values
    are brought up to date; days an admin edited or imported are left alone.
    """
    _require_calendar_admin(actor, "calendar.seed")
    return _calendar_seed(actor=actor)


@transaction.atomic
def _calendar_seed(*, actor) -> int:
    years = chinesecalendar_years()
    existing_years = set(CalendarYear.objects.values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(year=year, source="chinesecalendar")
            for year in years
            if year not in existing_years
        ]
    )
    existing = {
        day.date: day
        for day in CalendarDay.objects.filter(
            date__year__gte=years.start, date__year__lt=years.stop
        )
    }
    created, updated, kept = [], [], 0
    for year in years:
        for day, kind, name in chinesecalendar_days(year):
            row = existing.get(day)
            if row is None:
                created.append(
                    CalendarDay(
                        date=day, kind=kind, name=name, source=CalendarDaySource.CHINESECALENDAR
                    )
                )
            elif row.source not in RESEEDABLE_SOURCES:
                kept += (row.kind, row.name) != (kind, name)
            elif (row.kind, row.name, row.source) != (
                kind,
                name,
                CalendarDaySource.CHINESECALENDAR,
            ):
                row.kind, row.name, row.source = kind, name, CalendarDaySource.CHINESECALENDAR
                updated.append(row)
    CalendarDay.objects.bulk_create(created, batch_size=2000)
    CalendarDay.objects.bulk_update(updated, ["kind", "name", "source"], batch_size=2000)
    _written()
    _audit(
        actor,
        "calendar.seed",
        object_type="calendar",
        object_id=f"{years.start}-{years.stop - 1}",
        detail={
            "years": len(years),
            "created": len(created),
            "updated": len(updated),
            "kept_edits": kept,
        },
    )
    return len(years)


def _check_day(day: object, kind: object, name: str) -> tuple[date, str, str]:
    if not isinstance(day, date):
        raise ValidationFailed(_("Enter a date like 2027-01-01."), field="date")
    if kind not in CalendarDayKind.values:
        raise ValidationFailed(
            _("Kind must be one of workday, weekend, holiday, adjusted_workday."), field="kind"
        )
    assert isinstance(kind, str)
    reason = kind_fits_weekday(day, kind)
    if reason:
        raise ValidationFailed(reason, field="kind")
    name = (name or "").strip()
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            _("The name may have at most %(max)s characters.") % {"max": NAME_MAX_LENGTH},
            field="name",
        )
    return day, kind, name


def calendar_day_set(*, actor, date: date, kind: str, name: str = "") -> CalendarDay:
    """Set one day's kind and name. The year must already be covered (import adds years)."""
    _require_calendar_admin(actor, "calendar.day_set", date)
    return _calendar_day_set(actor=actor, day=date, kind=kind, name=name)


@transaction.atomic
def _calendar_day_set(*, actor, day: object, kind: object, name: str) -> CalendarDay:
    day, kind, name = _check_day(day, kind, name)
    if not CalendarYear.objects.filter(year=day.year).exists():
        raise CalendarNotCovered(day.year)
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        raise CalendarNotCovered(day.year)
    before = {"kind": row.kind, "name": row.name, "source": row.source}
    row.kind, row.name, row.source = kind, name, CalendarDaySource.ADMIN
    row.save(update_fields=["kind", "name", "source"])
    _written()
    _audit(
        actor,
        "calendar.day_set",
        object_type="calendar_day",
        object_id=day.isoformat(),
        detail={"before": before, "after": {"kind": kind, "name": name}},
    )
    return row


@dataclass(frozen=True)
class CalendarImportResult:
    rows: int
    changed: int
    years_added: list[int] = field(default_factory=list)


def calendar_import(*, actor, file_name: str, content: bytes) -> CalendarImportResult:
    """Import a holiday schedule (CSV or xlsx with columns date, kind, name).

    Every row is checked first; any problem refuses the whole file. A row in a year the calendar
    does not cover yet adds that year: its other days get the weekday default (Monday to Friday
    worked, weekends off), so the file only needs to list holidays and adjusted working days.
    """
    _require_calendar_admin(actor, "calendar.import")
    rows = read_schedule(file_name, content)
    return _calendar_import(actor=actor, file_name=file_name, rows=rows)


@transaction.atomic
def _calendar_import(*, actor, file_name: str, rows) -> CalendarImportResult:
    covered = set(CalendarYear.objects.values_list("year", flat=True))
    new_years = sorted({row.date.year for row in rows} - covered)
    years = sorted({row.date.year for row in rows})
    existing = {
        day.date: day
        for day in CalendarDay.objects.filter(date__year__gte=years[0], date__year__lte=years[-1])
    }
    listed = {row.date: row for row in rows}
    created, updated = [], []
    for year in new_years:
        for offset in range(366 if std_calendar.isleap(year) else 365):
            day = date(year, 1, 1) + timedelta(days=offset)
            if day not in listed and day not in existing:
                created.append(
                    CalendarDay(
                        date=day, kind=weekday_default(day), source=CalendarDaySource.DEFAULT
                    )
                )
    for day, row in listed.items():
        current = existing.get(day)
        if current is None:
            created.append(
                CalendarDay(date=day, kind=row.kind, name=row.name, source=CalendarDaySource.IMPORT)
            )
        elif (current.kind, current.name) != (row.kind, row.name):
            current.kind, current.name = row.kind, row.name
            current.source = CalendarDaySource.IMPORT
            updated.append(current)
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, source="import") for year in new_years]
    )
    CalendarDay.objects.bulk_create(created, batch_size=2000)
    CalendarDay.objects.bulk_update(updated, ["kind", "name", "source"], batch_size=2000)
    changed = len(updated) + sum(1 for day in listed if day not in existing)
    _written()
    suffix = file_name.rsplit(".", 1)[-1].lower()
    _audit(
        actor,
        "calendar.import",
        object_type="calendar",
        object_id=",".join(str(year) for year in years)[:64],
        detail={
            "rows": len(rows),
            "changed": changed,
            "years_added": new_years,
            "file_type": suffix,
        },
    )
    return CalendarImportResult(rows=len(rows), changed=changed, years_added=new_years)


# --- selectors ---------------------------------------------------------------------------------


def _require_reader(actor) -> None:
    # The calendar is public knowledge, but the pages and API behind it are for signed-in users.
    if not (_is_system(actor) or actor.is_authenticated):
        raise NotFound(_("Not found."))


def calendar_years(*, actor) -> list[int]:
    _require_reader(actor)
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def calendar_year_days(*, actor, year: int) -> list[CalendarDay]:
    """Every day of a covered year, in order; CalendarNotCovered (field "year") otherwise."""
    _require_reader(actor)
    if not CalendarYear.objects.filter(year=year).exists():
        raise CalendarNotCovered(year, field="year")
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


def calendar_day_get(*, actor, date: date) -> CalendarDay:
    _require_reader(actor)
    row = CalendarDay.objects.filter(date=date).first()
    if row is None:
        raise NotFound(
            _("%(date)s is not in the calendar.") % {"date": date.isoformat()}, field="date"
        )
    return row
