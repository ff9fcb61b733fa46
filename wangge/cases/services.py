"""Case writes: intake (intake.py), the reporter's actions, the whistle, extensions (each in its
own module, re-exported here so views and the API have one place to call) and one service per
transition of the table in transitions.py; stepping.run_transition is their shared body.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.calendar import LOCAL_TZ
from wangge.core.denials import denials_audited
from wangge.core.errors import NotFound, ValidationFailed
from wangge.core.scope import path_in_scope
from wangge.orgs.codes import path_codes
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit

from .assignment import assignee_for
from .deadlines import shift_for_pause
from .enums import FINAL_STATES
from .extensions import case_extension_decide, case_extension_request
from .intake import case_report, duplicate_candidates
from .models import Case
from .permissions import (
    require_visible,
    transition_paths,
)
from .reporter_actions import case_rate, case_reopen
from .stepping import hand_to, run_transition
from .transitions import TRANSITIONS
from .whistle import (
    case_add_part,
    case_report_in,
    case_whistle,
    end_whistle,
    require_joint_work_reported,
)

__all__ = [
    "case_accept",
    "case_add_part",
    "case_close",
    "case_dispatch",
    "case_escalate",
    "case_extension_decide",
    "case_extension_request",
    "case_handle",
    "case_merge",
    "case_pause",
    "case_rate",
    "case_reject",
    "case_reopen",
    "case_report",
    "case_report_in",
    "case_resume",
    "case_return",
    "case_rework",
    "case_start",
    "case_verify",
    "case_whistle",
    "duplicate_candidates",
]

DISPATCH_TARGET_KINDS = (OrgUnitKind.DEPARTMENT, OrgUnitKind.COMMUNITY)


# --- reported ----------------------------------------------------------------------------------


@denials_audited("cases.case_accept")
@transaction.atomic
def case_accept(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="accept",
        note=note,
        attachments=attachments,
    )


@denials_audited("cases.case_reject")
@transaction.atomic
def case_reject(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="reject",
        note=note,
        attachments=attachments,
    )


@denials_audited("cases.case_merge")
@transaction.atomic
def case_merge(
    *,
    actor,
    number: str,
    version: int | None,
    into_number: str,
    note: str = "",
    attachments: Iterable[str] = (),
) -> Case:
    """Merge a duplicate into an open case the actor can see."""

    def apply(case: Case, from_state: str) -> dict:
        target = Case.objects.filter(number=into_number).first()
        if target is None or target.pk == case.pk:
            raise NotFound(
                _("Case %(number)s not found.") % {"number": into_number}, field="into_number"
            )
        require_visible(actor, target)
        if target.state in FINAL_STATES:
            raise ValidationFailed(
                _("Case %(number)s is finished; merge into an open case.")
                % {"number": into_number},
                code="target_finished",
                field="into_number",
            )
        case.merged_into = target
        return {"into": target.number}

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="merge",
        note=note,
        attachments=attachments,
        apply=apply,
    )


# --- accepted ----------------------------------------------------------------------------------


@denials_audited("cases.case_escalate")
@transaction.atomic
def case_escalate(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    """Hand an accepted case up to the street's command centre."""

    def apply(case: Case, from_state: str) -> dict:
        codes = path_codes(case.path)
        street = OrgUnit.objects.filter(code__in=codes, kind=OrgUnitKind.STREET).first()
        if street is None or case.handler_path == street.path:
            raise ValidationFailed(
                _("Case %(number)s is already held by the street.") % {"number": case.number},
                code="already_at_street",
                field="number",
            )
        return hand_to(case, street)

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="escalate",
        note=note,
        attachments=attachments,
        apply=apply,
    )


@denials_audited("cases.case_dispatch")
@transaction.atomic
def case_dispatch(
    *,
    actor,
    number: str,
    version: int | None,
    unit_code: str,
    note: str = "",
    attachments: Iterable[str] = (),
    assignee: str = "",
) -> Case:
    """Route the case to a department or a community inside the dispatcher's scope, optionally
    to one of its handlers by username (their B post when they are on leave today)."""

    def apply(case: Case, from_state: str) -> dict:
        unit = OrgUnit.objects.filter(
            code=unit_code, kind__in=DISPATCH_TARGET_KINDS, is_active=True
        ).first()
        if unit is None or not path_in_scope(
            unit.path, transition_paths(actor, TRANSITIONS["dispatch"])
        ):
            raise ValidationFailed(
                _("Unit %(code)s is not a department or community you may dispatch to.")
                % {"code": unit_code},
                code="invalid_target",
                field="unit_code",
            )
        detail = hand_to(case, unit)
        if assignee:
            today = timezone.now().astimezone(LOCAL_TZ).date()
            person, absent = assignee_for(assignee.strip(), unit, today)
            case.assignee = person
            detail["assignee"] = person.username
            if absent is not None:
                detail["stand_in_for"] = absent.username
        return detail

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="dispatch",
        note=note,
        attachments=attachments,
        apply=apply,
    )


# --- with the handler --------------------------------------------------------------------------


@denials_audited("cases.case_start")
@transaction.atomic
def case_start(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="start",
        note=note,
        attachments=attachments,
        new_stage=False,
    )


@denials_audited("cases.case_return")
@transaction.atomic
def case_return(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    """Wrong routing: back to the unit that dispatched it, with the reason."""

    def apply(case: Case, from_state: str) -> dict:
        end_whistle(case, timezone.now())
        last = case.events.filter(action__in=("dispatch", "whistle")).order_by("-at", "-id").first()
        code = (last.detail or {}).get("from_unit") if last else ""
        unit = OrgUnit.objects.filter(code=code).first() if code else None
        if unit is None:
            return {"unit": case.handler_unit.code if case.handler_unit else ""}
        return hand_to(case, unit)

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="return",
        note=note,
        attachments=attachments,
        apply=apply,
    )


@denials_audited("cases.case_pause")
@transaction.atomic
def case_pause(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    """Stop the clock (waiting for the resident, a permit, the weather), with the reason."""

    def apply(case: Case, from_state: str) -> dict:
        case.state_before_pause = from_state
        case.paused_at = timezone.now()
        return {}

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="pause",
        note=note,
        attachments=attachments,
        apply=apply,
        new_stage=False,
    )


@denials_audited("cases.case_resume")
@transaction.atomic
def case_resume(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    """Start the clock again; the deadlines move by the working time spent paused."""

    def apply(case: Case, from_state: str) -> dict:
        now = timezone.now()
        spent = shift_for_pause(case, case.paused_at, now) if case.paused_at else timedelta(0)
        case.paused_at = None
        case.state_before_pause = ""
        return {"paused_working_minutes": int(spent.total_seconds() // 60)}

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="resume",
        note=note,
        attachments=attachments,
        apply=apply,
        new_stage=False,
    )


@denials_audited("cases.case_handle")
@transaction.atomic
def case_handle(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    """The handler reports the work done (feedback); the place verifies it next. After a
    whistle only the lead holds the case, and only once every department has reported in."""

    def apply(case: Case, from_state: str) -> dict:
        require_joint_work_reported(case)
        return {"unit": case.handler_unit.code if case.handler_unit else ""}

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="handle",
        note=note,
        attachments=attachments,
        apply=apply,
    )


# --- verification and closure ------------------------------------------------------------------


@denials_audited("cases.case_verify")
@transaction.atomic
def case_verify(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="verify",
        note=note,
        attachments=attachments,
        new_stage=False,
    )


@denials_audited("cases.case_rework")
@transaction.atomic
def case_rework(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    """Verification failed: the handler works on it again, with a fresh handling period."""

    def apply(case: Case, from_state: str) -> dict:
        case.reworks += 1
        return {"reworks": case.reworks}

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="rework",
        note=note,
        attachments=attachments,
        apply=apply,
    )


@denials_audited("cases.case_close")
@transaction.atomic
def case_close(
    *, actor, number: str, version: int | None, note: str = "", attachments: Iterable[str] = ()
) -> Case:
    def apply(case: Case, from_state: str) -> dict:
        case.closed_at = timezone.now()
        case.card = ""
        return {}

    return run_transition(
        actor=actor,
        number=number,
        version=version,
        action="close",
        note=note,
        attachments=attachments,
        apply=apply,
    )
