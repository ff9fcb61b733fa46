"""The shared body of every transition service (services.py, whistle.py, extensions.py).

Lock the row, check scope (NotFound), the version the caller loaded (Conflict: two dispatchers at
once, one wins and the other is told, nothing is lost), the role (PermissionDenied) and the state
(invalid_transition); move the case, set the new stage's deadline, write one CaseEvent and one
audit row.
"""

from collections.abc import Callable, Iterable

from django.utils import timezone

from wangge.orgs.models import OrgUnit

from .deadlines import restage
from .events import clean_attachments, clean_note, record_event
from .models import Case
from .permissions import audit_case, require_transition, require_visible
from .rows import invalid_transition, locked_case, require_version
from .transitions import TRANSITIONS

# A hook that moves the case beyond its state (handler, counters) and returns event detail.
Apply = Callable[[Case, str], dict]
# Event detail keys that are codes and counts, never personal data: they go to the audit row.
AUDITED_DETAIL = ("unit", "from_unit", "into", "units", "lead", "days")


def run_transition(
    *,
    actor,
    number: str,
    version: int | None,
    action: str,
    note: str,
    attachments: Iterable[str],
    apply: Apply | None = None,
    new_stage: bool = True,
) -> Case:
    """`new_stage`: the case enters a stage with its own deadline (False where the clock of the
    current stage runs on)."""
    row = TRANSITIONS[action]
    case = locked_case(number)
    require_visible(actor, case)
    # The version before the role: a second dispatcher whose first look is stale is told that
    # someone else moved the case, not that they may no longer touch it.
    require_version(case, version)
    require_transition(actor, case, row)
    if case.state not in row.from_states:
        raise invalid_transition(case, action)
    clean = clean_note(note, required=row.needs_note)
    files = clean_attachments(attachments)
    now = timezone.now()
    from_state = case.state
    case.state = row.to_state or case.state_before_pause
    detail = apply(case, from_state) if apply is not None else {}
    if new_stage:
        restage(case, now)
    case.version += 1
    case.save()
    record_event(
        case,
        actor,
        action,
        at=now,
        from_state=from_state,
        to_state=case.state,
        note=clean,
        attachments=files,
        detail=detail,
    )
    audit_case(
        actor,
        f"cases.case_{action}",
        number=case.number,
        path=case.path,
        detail={"from": from_state, "to": case.state, **codes_only(detail)},
    )
    return case


def codes_only(detail: dict) -> dict:
    return {key: value for key, value in detail.items() if key in AUDITED_DETAIL}


def hand_to(case: Case, unit: OrgUnit) -> dict:
    previous = case.handler_unit.code if case.handler_unit else ""
    case.handler_unit = unit
    case.handler_path = unit.path
    # A person of the previous unit no longer holds it; the new unit may assign its own.
    case.assignee = None
    return {"unit": unit.code, "from_unit": previous}
