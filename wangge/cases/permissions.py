"""Who may see a case, who may take which transition, and the audit rows of case writes.

Seeing a case: a role on an ancestor-or-self of its place (`path`) or of the unit holding it
(`handler_path`: a department sees what is routed to it), or being its reporter. A case out of
scope is NotFound, exactly like a missing number. Taking a transition: one of the row's roles on
an ancestor-or-self of `handler_path` (on="handler") or of `path` (on="place"); a case the actor
sees but may not move is PermissionDenied.
"""

from typing import TypeVar

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from wangge.core.audit import audit_record
from wangge.core.denials import mark_denial
from wangge.core.errors import NotFound, PermissionDenied, WanggeError
from wangge.core.models import AuditResult
from wangge.core.scope import path_in_scope, scope_q
from wangge.orgs.permissions import is_system, visible_paths

from .models import Case, CaseReportIn
from .transitions import SideAction, Transition

SYSTEM_USERNAME = "system"
OBJECT_TYPE = "cases.case"

Error = TypeVar("Error", bound=WanggeError)


def case_not_found(number: str) -> NotFound:
    """What a missing case and an out-of-scope case both look like."""
    return NotFound(
        _("Case %(number)s not found.") % {"number": number},
        field="number",
        detail={"object_type": OBJECT_TYPE, "object_id": number},
    )


def is_reporter(actor, case: Case) -> bool:
    user = getattr(actor, "user", None)
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and case.reporter_id is not None
        and case.reporter_id == user.pk
    )


def _summoned_q(paths) -> Exists:
    """Cases a department is summoned to by the current whistle (it works on them too)."""
    return Exists(
        CaseReportIn.objects.filter(
            scope_q(paths, "unit_path"), case_id=OuterRef("pk"), whistle__is_current=True
        )
    )


def can_see_case(actor, case: Case) -> bool:
    paths = visible_paths(actor)
    return (
        path_in_scope(case.path, paths)
        or bool(case.handler_path and path_in_scope(case.handler_path, paths))
        or is_reporter(actor, case)
        or bool(
            paths
            and CaseReportIn.objects.filter(
                scope_q(paths, "unit_path"), case=case, whistle__is_current=True
            ).exists()
        )
    )


def case_scope_q(actor) -> Q:
    """Rows the actor may see: by place, by the unit holding it, or reported by the actor."""
    paths = visible_paths(actor)
    query = scope_q(paths) | scope_q(paths, "handler_path")
    if paths:
        query |= Q(_summoned_q(paths))
    user = getattr(actor, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        query |= Q(reporter_id=user.pk)
    return query


def transition_paths(actor, row: Transition | SideAction) -> tuple[str, ...]:
    if is_system(actor):
        return ("/",)
    return actor.paths(*row.roles)


def may_take(actor, case: Case, row: Transition) -> bool:
    """The role half of a transition check (the state half is the table's from_states)."""
    target = case.handler_path if row.on == "handler" else case.path
    return bool(target) and path_in_scope(target, transition_paths(actor, row))


def may_take_side(actor, case: Case, side: SideAction) -> bool:
    """The role half of a side action. "summoned" is checked against the report-in rows by the
    whistle services; here it only asks whether the actor has the role anywhere."""
    paths = transition_paths(actor, side)
    if side.on == "handler":
        return bool(case.handler_path) and path_in_scope(case.handler_path, paths)
    if side.on == "level_up":
        # Strictly above the holding unit: a unit does not approve its own extension.
        return bool(case.handler_path) and any(
            case.handler_path.startswith(path) and case.handler_path != path for path in paths
        )
    return bool(paths)


def _mark(exc: Error, case_number: str, path: str) -> Error:
    return mark_denial(exc, object_type=OBJECT_TYPE, object_id=case_number, path=path)


def require_visible(actor, case: Case) -> None:
    if not can_see_case(actor, case):
        raise _mark(case_not_found(case.number), case.number, case.path)


def require_transition(actor, case: Case, row: Transition) -> None:
    """NotFound out of scope, PermissionDenied in scope without one of the row's roles."""
    require_visible(actor, case)
    if not may_take(actor, case, row):
        raise _mark(
            PermissionDenied(
                _("You hold no role that may %(action)s case %(number)s.")
                % {"action": row.action, "number": case.number},
                field="number",
                detail={"object_type": OBJECT_TYPE, "object_id": case.number},
            ),
            case.number,
            case.path,
        )


def denial(exc: Error, case: Case) -> Error:
    """Mark an error raised by a service so that core.denials.denials_audited records it."""
    return _mark(exc, case.number, case.path)


def audit_case(
    actor,
    action: str,
    *,
    number: str,
    path: str = "",
    detail: dict | None = None,
    result: str = AuditResult.OK,
) -> None:
    """One audit row about a case. `detail`: states, unit codes, counts; never personal data."""
    audit_record(
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=number,
        org_path=path,
        result=result,
        detail=detail or {},
        username=SYSTEM_USERNAME if is_system(actor) else "",
    )
