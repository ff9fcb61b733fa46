"""Whistle and report-in (街道吹哨、部门报到).

The street's command centre whistles an accepted case it holds to several departments, one of
them the lead, which then holds the case. Each summoned department must report in within
WANGGE_CASE_REPORT_IN_HOURS working hours of its own service hours (a late report-in is marked:
at report-in time, or by the sweep when the time passes with none); each adds its part of the
joint work; the lead reports the whole as handled only when every department has reported in.
A return by the lead ends the whistle (the street may whistle again).
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.calendar import CalendarNotCovered, add_working_hours
from wangge.core.denials import denials_audited
from wangge.core.errors import PermissionDenied, ValidationFailed
from wangge.core.scope import path_in_scope
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit

from .deadlines import schedule_for
from .events import clean_attachments, clean_note, record_event
from .models import Case, CaseReportIn, CaseWhistle
from .permissions import (
    OBJECT_TYPE,
    audit_case,
    denial,
    require_visible,
    transition_paths,
)
from .rows import invalid_transition, locked_case
from .stepping import hand_to, run_transition
from .transitions import SIDE_ACTIONS, TRANSITIONS

MAX_SUMMONED = 8


def report_in_hours() -> float:
    return float(getattr(settings, "WANGGE_CASE_REPORT_IN_HOURS", 2))


def report_in_due(unit: OrgUnit, now: datetime) -> datetime | None:
    try:
        return add_working_hours(now, report_in_hours(), schedule_for(unit))
    except CalendarNotCovered:
        return None


def may_summon(street: OrgUnit, unit: OrgUnit) -> bool:
    """The street summons its own departments: the stations and offices in its subtree (a
    district's department works in a street through its station there). Another street's
    departments and those above the street are not the street's to summon."""
    return unit.kind == OrgUnitKind.DEPARTMENT and path_in_scope(unit.path, (street.path,))


def summonable(case: Case, units: Iterable[OrgUnit]) -> list[OrgUnit]:
    """Of `units`, those the street holding the case may summon (what the whistle form offers)."""
    street = case.handler_unit
    if street is None or street.kind != OrgUnitKind.STREET:
        return []
    return [unit for unit in units if may_summon(street, unit)]


def _departments(actor, case: Case, codes: list[str]) -> list[OrgUnit]:
    """The summoned departments: each active, inside the actor's dispatch scope, and one the
    street holding the case may summon. The first code is the lead."""
    paths = transition_paths(actor, TRANSITIONS["whistle"])
    found = {
        unit.code: unit
        for unit in OrgUnit.objects.filter(
            code__in=codes, kind=OrgUnitKind.DEPARTMENT, is_active=True
        )
    }
    for index, code in enumerate(codes):
        field = "lead_unit_code" if index == 0 else "unit_codes"
        unit = found.get(code)
        if unit is None or not path_in_scope(unit.path, paths):
            raise ValidationFailed(
                _("Unit %(code)s is not a department you may summon.") % {"code": code},
                code="invalid_target",
                field=field,
            )
        street = case.handler_unit
        if street is not None and not may_summon(street, unit):
            # Audited: an actor above the street reaching past it for another street's units.
            raise denial(
                ValidationFailed(
                    _(
                        "%(unit)s is not a department of %(street)s: a whistle summons only "
                        "the departments of the street that holds the case."
                    )
                    % {"unit": unit.name, "street": street.name},
                    code="not_the_streets_department",
                    field=field,
                ),
                case,
            )
    return [found[code] for code in codes]


def _summoned_codes(lead_unit_code: str, unit_codes: Iterable[str]) -> list[str]:
    lead = (lead_unit_code or "").strip()
    if not lead:
        raise ValidationFailed(
            _("Choose the lead department."), code="required", field="lead_unit_code"
        )
    codes = [lead]
    for code in unit_codes or ():
        code = str(code).strip()
        if code and code not in codes:
            codes.append(code)
    if len(codes) < 2:
        raise ValidationFailed(
            _("A whistle summons at least two departments; for one, dispatch the case."),
            code="too_few",
            field="unit_codes",
        )
    if len(codes) > MAX_SUMMONED:
        raise ValidationFailed(
            _("A whistle summons at most %(count)s departments.") % {"count": MAX_SUMMONED},
            code="too_many",
            field="unit_codes",
        )
    return codes


@denials_audited("cases.case_whistle")
@transaction.atomic
def case_whistle(
    *,
    actor,
    number: str,
    version: int | None,
    lead_unit_code: str,
    unit_codes: Iterable[str],
    note: str = "",
    attachments: Iterable[str] = (),
) -> Case:
    """Summon several departments to one case; the lead department holds it from now on."""
    codes = _summoned_codes(lead_unit_code, unit_codes)

    def apply(case: Case, from_state: str) -> dict:
        if case.handler_unit is None or case.handler_unit.kind != OrgUnitKind.STREET:
            raise ValidationFailed(
                _("Only the street may whistle; escalate case %(number)s to the street first.")
                % {"number": case.number},
                code="not_at_street",
                field="number",
            )
        units = _departments(actor, case, codes)
        now = timezone.now()
        end_whistle(case, now)
        whistle = CaseWhistle.objects.create(
            case=case,
            whistled_at=now,
            whistled_by=getattr(actor, "user", None),
            lead_unit=units[0],
        )
        CaseReportIn.objects.bulk_create(
            CaseReportIn(
                whistle=whistle,
                case=case,
                unit=unit,
                unit_path=unit.path,
                is_lead=index == 0,
                due_at=report_in_due(unit, now),
            )
            for index, unit in enumerate(units)
        )
        detail = hand_to(case, units[0])
        return {**detail, "lead": units[0].code, "units": [unit.code for unit in units]}

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="whistle",
        note=note,
        attachments=attachments,
        apply=apply,
    )


def current_report_ins(case: Case) -> list[CaseReportIn]:
    return list(
        CaseReportIn.objects.filter(case=case, whistle__is_current=True).select_related("unit")
    )


def summoned_rows(actor, case: Case, report_ins: list[CaseReportIn]) -> list[CaseReportIn]:
    """The current report-in rows of departments the actor works for."""
    paths = transition_paths(actor, SIDE_ACTIONS["report_in"])
    return [row for row in report_ins if path_in_scope(row.unit_path, paths)]


def _own_row(actor, case: Case, action: str, unit_code: str | None) -> CaseReportIn:
    rows = summoned_rows(actor, case, current_report_ins(case))
    if unit_code:
        rows = [row for row in rows if row.unit.code == unit_code]
    if not rows:
        raise denial(
            PermissionDenied(
                _("No department of yours is summoned to case %(number)s.")
                % {"number": case.number},
                field="number",
                detail={"object_type": OBJECT_TYPE, "object_id": case.number},
            ),
            case,
        )
    if len(rows) > 1:
        raise ValidationFailed(
            _("You work for several summoned departments; choose one."),
            code="required",
            field="unit_code",
        )
    if case.state not in SIDE_ACTIONS[action].from_states:
        raise invalid_transition(case, action)
    return rows[0]


@denials_audited("cases.case_report_in")
@transaction.atomic
def case_report_in(
    *, actor, number: str, unit_code: str | None = None, note: str = ""
) -> CaseReportIn:
    """A summoned department reports in (报到); after its due time it is marked late."""
    case = locked_case(number)
    require_visible(actor, case)
    row = _own_row(actor, case, "report_in", unit_code)
    if row.reported_in_at is not None:
        raise ValidationFailed(
            _("%(unit)s has already reported in.") % {"unit": row.unit.name},
            code="already_reported_in",
            field="unit_code",
        )
    clean = clean_note(note, required=False)
    now = timezone.now()
    row.reported_in_at = now
    row.reported_in_by = getattr(actor, "user", None)
    if not row.late and row.due_at is not None and now > row.due_at:
        row.late, row.late_at = True, row.due_at
    row.save(update_fields=["reported_in_at", "reported_in_by", "late", "late_at"])
    detail = {"unit": row.unit.code, "late": row.late}
    record_event(
        case,
        actor,
        "report_in",
        at=now,
        from_state=case.state,
        to_state=case.state,
        note=clean,
        detail=detail,
    )
    audit_case(actor, "cases.case_report_in", number=case.number, path=case.path, detail=detail)
    return row


@denials_audited("cases.case_add_part")
@transaction.atomic
def case_add_part(
    *,
    actor,
    number: str,
    note: str,
    unit_code: str | None = None,
    attachments: Iterable[str] = (),
) -> CaseReportIn:
    """A summoned department records what it did (its part of the joint work)."""
    case = locked_case(number)
    require_visible(actor, case)
    row = _own_row(actor, case, "add_part", unit_code)
    if row.reported_in_at is None:
        raise ValidationFailed(
            _("Report in first, then add your part."), code="not_reported_in", field="unit_code"
        )
    clean = clean_note(note, required=True)
    files = clean_attachments(attachments)
    now = timezone.now()
    row.part = clean
    row.part_at = now
    row.save(update_fields=["part", "part_at"])
    detail = {"unit": row.unit.code}
    record_event(
        case,
        actor,
        "add_part",
        at=now,
        from_state=case.state,
        to_state=case.state,
        note=clean,
        attachments=files,
        detail=detail,
    )
    audit_case(actor, "cases.case_add_part", number=case.number, path=case.path, detail=detail)
    return row


def require_joint_work_reported(case: Case) -> None:
    """The lead completes the joint work only after every summoned department reported in."""
    missing = [row.unit.name for row in current_report_ins(case) if row.reported_in_at is None]
    if missing:
        raise ValidationFailed(
            _("Not every summoned department has reported in yet: %(units)s.")
            % {"units": "、".join(missing)},
            code="report_ins_missing",
            field="state",
            detail={"units": missing},
        )


def end_whistle(case: Case, now: datetime) -> None:
    """A returned (or whistled again) case is no longer the summoned departments' work."""
    CaseWhistle.objects.filter(case=case, is_current=True).update(is_current=False, ended_at=now)


def mark_late_report_ins(now: datetime) -> int:
    """The sweep's part: report-ins past due with none made are marked late, once, as of their
    due time (`late_at` = `due_at`, however long after it the sweep runs). A whistle that has
    ended counts too when its report-in time ran out before it ended: the department was late
    then, even if the sweep only passes by afterwards."""
    in_time_to_count = Q(whistle__is_current=True) | Q(whistle__ended_at__gt=F("due_at"))
    return CaseReportIn.objects.filter(
        in_time_to_count, reported_in_at__isnull=True, late=False, due_at__lt=now
    ).update(late=True, late_at=F("due_at"))
