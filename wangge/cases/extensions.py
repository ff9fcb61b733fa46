"""Extension requests (延期): the handler asks for more working days, a unit above it decides.

Approved, the stage and case deadlines move by the granted working days (to the end of that
day's service hours) and the case counts one more extension (the extension rate reads it).
A card that no longer fits is dropped at once; the sweep would drop it at its next run anyway.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.calendar import CalendarNotCovered
from wangge.core.denials import denials_audited
from wangge.core.errors import PermissionDenied, ValidationFailed

from .deadlines import counted_provisionally, handle_deadline, schedule_for
from .enums import Card
from .events import clean_note, record_event
from .joint_models import CaseExtension, ExtensionStatus
from .models import Case
from .permissions import (
    OBJECT_TYPE,
    audit_case,
    denial,
    may_take_side,
    require_visible,
)
from .rows import invalid_transition, locked_case, require_version
from .transitions import SIDE_ACTIONS

MAX_EXTENSION_DAYS = 30


def _check(actor, case: Case, action: str) -> None:
    side = SIDE_ACTIONS[action]
    if not may_take_side(actor, case, side):
        message = (
            _("Only the unit holding case %(number)s may ask for an extension.")
            if side.on == "handler"
            else _("An extension of case %(number)s is decided by a unit above its handler.")
        )
        raise denial(
            PermissionDenied(
                message % {"number": case.number},
                field="number",
                detail={"object_type": OBJECT_TYPE, "object_id": case.number},
            ),
            case,
        )
    if case.state not in side.from_states:
        raise invalid_transition(case, action)


def _days(days) -> int:
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_EXTENSION_DAYS:
        raise ValidationFailed(
            _("Ask for 1 to %(max)s working days.") % {"max": MAX_EXTENSION_DAYS},
            code="out_of_range",
            field="days",
        )
    return value


@denials_audited("cases.case_extension_request")
@transaction.atomic
def case_extension_request(
    *, actor, number: str, version: int | None, days, reason: str
) -> CaseExtension:
    case = locked_case(number)
    require_visible(actor, case)
    require_version(case, version)
    _check(actor, case, "extension_request")
    value = _days(days)
    try:
        clean = clean_note(reason, required=True)
    except ValidationFailed as exc:
        exc.field = "reason"
        raise
    if CaseExtension.objects.filter(case=case, status=ExtensionStatus.PENDING).exists():
        raise ValidationFailed(
            _("An extension request for case %(number)s is already awaiting a decision.")
            % {"number": case.number},
            code="extension_pending",
            field="days",
        )
    now = timezone.now()
    unit = case.handler_unit
    assert unit is not None  # may_take_side("handler") needs a holding unit
    request = CaseExtension.objects.create(
        case=case,
        unit=unit,
        requested_at=now,
        requested_by=getattr(actor, "user", None),
        days=value,
        reason=clean,
    )
    detail = {"days": value, "unit": unit.code}
    record_event(
        case,
        actor,
        "extension_request",
        at=now,
        from_state=case.state,
        to_state=case.state,
        note=clean,
        detail=detail,
    )
    audit_case(
        actor, "cases.case_extension_request", number=case.number, path=case.path, detail=detail
    )
    return request


def _extend(case: Case, days: int, now) -> None:
    schedule = schedule_for(case.handler_unit)
    try:
        base = case.stage_due_at or now
        case.stage_due_at = handle_deadline(max(base, now), days, schedule)
        if case.due_at is not None:
            case.due_at = handle_deadline(case.due_at, days, schedule)
        case.calendar_warning = counted_provisionally(now, case.stage_due_at, case.due_at)
    except CalendarNotCovered:
        case.stage_due_at = case.due_at = None
        case.calendar_warning = True
    if case.card and (case.stage_due_at is None or case.stage_due_at > now):
        case.card = Card.NONE


@denials_audited("cases.case_extension_decide")
@transaction.atomic
def case_extension_decide(
    *, actor, number: str, version: int | None, approve: bool, note: str = ""
) -> Case:
    """Approve (the deadlines move) or reject the pending request; a reason is needed to reject."""
    action = "extension_approve" if approve else "extension_reject"
    case = locked_case(number)
    require_visible(actor, case)
    require_version(case, version)
    _check(actor, case, action)
    request = CaseExtension.objects.filter(case=case, status=ExtensionStatus.PENDING).first()
    if request is None:
        raise ValidationFailed(
            _("Case %(number)s has no extension request awaiting a decision.")
            % {"number": case.number},
            code="no_pending_extension",
            field="number",
        )
    clean = clean_note(note, required=not approve)
    now = timezone.now()
    request.old_due_at = case.due_at
    if approve:
        _extend(case, request.days, now)
        case.extensions += 1
        request.status = ExtensionStatus.APPROVED
    else:
        request.status = ExtensionStatus.REJECTED
    request.new_due_at = case.due_at
    request.decided_at = now
    request.decided_by = getattr(actor, "user", None)
    request.decision_note = clean
    request.save()
    case.version += 1
    case.save()
    detail = {"days": request.days, "unit": request.unit.code}
    record_event(
        case,
        actor,
        action,
        at=now,
        from_state=case.state,
        to_state=case.state,
        note=clean,
        detail=detail,
    )
    audit_case(actor, f"cases.case_{action}", number=case.number, path=case.path, detail=detail)
    return case
