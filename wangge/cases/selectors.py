"""Case reads: one case with its timeline and the actions this actor may take, and the queues.

Scope (permissions.case_scope_q): the place under the actor's units, or the unit holding the case
under them (a department sees what is routed to it), or the actor's own reports. Queues page by
id (keyset): `after_id` is the last id of the previous page.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import ValidationFailed
from wangge.core.scope import scope_q
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit, RoleAssignment

from .enums import FINAL_STATES, CaseState
from .joint_models import CaseExtension, ExtensionStatus
from .models import Case, CaseCategory, CaseEvent, CaseReportIn
from .permissions import (
    can_see_case,
    case_not_found,
    case_scope_q,
    is_reporter,
    may_take,
    may_take_side,
    transition_paths,
)
from .reporter_actions import reopen_days
from .transitions import HANDLERS, SIDE_ACTIONS, TRANSITIONS, allowed_actions
from .whistle import current_report_ins, summoned_rows

QUEUES = ("to_accept", "to_dispatch", "to_report_in", "overdue", "to_verify", "mine")
MAX_PAGE = 200


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    timeline: list[CaseEvent]
    actions: list[str]
    # The current whistle's departments (lead first) and every extension request.
    report_ins: list[CaseReportIn] = field(default_factory=list)
    extension_requests: list[CaseExtension] = field(default_factory=list)


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    # The `after_id` of the next page; None on the last page.
    next_after: int | None


def _where_allowed(case: Case, action: str) -> bool:
    """Rules of place beyond the table: only the street whistles, and it does not escalate."""
    at_street = case.handler_unit is not None and case.handler_unit.kind == OrgUnitKind.STREET
    if action == "whistle":
        return at_street
    if action == "escalate":
        return not at_street
    return True


def _side_actions(actor, case: Case, report_ins: list[CaseReportIn], pending: bool) -> list[str]:
    actions = []
    mine = summoned_rows(actor, case, report_ins)
    for action, side in SIDE_ACTIONS.items():
        if case.state not in side.from_states:
            continue
        if action == "report_in":
            allowed = any(row.reported_in_at is None for row in mine)
        elif action == "add_part":
            allowed = any(row.reported_in_at is not None for row in mine)
        elif action == "extension_request":
            allowed = not pending and may_take_side(actor, case, side)
        else:
            allowed = pending and may_take_side(actor, case, side)
        if allowed:
            actions.append(action)
    return actions


def case_actions(
    actor,
    case: Case,
    *,
    now: datetime | None = None,
    report_ins: list[CaseReportIn] | None = None,
    pending_extension: bool | None = None,
) -> list[str]:
    """The actions the actor may take on the case now (role and state both allow them)."""
    actions = [
        action
        for action in allowed_actions(case.state)
        if may_take(actor, case, TRANSITIONS[action]) and _where_allowed(case, action)
    ]
    if report_ins is None:
        report_ins = current_report_ins(case)
    if pending_extension is None:
        pending_extension = case.extension_requests.filter(status=ExtensionStatus.PENDING).exists()
    actions += _side_actions(actor, case, report_ins, pending_extension)
    if is_reporter(actor, case):
        if case.state == CaseState.CLOSED:
            actions.append("rate")
        days = reopen_days()
        now = now or timezone.now()
        if (
            case.state in (CaseState.CLOSED, CaseState.RATED)
            and case.closed_at is not None
            and now - case.closed_at <= timedelta(days=days)
        ):
            actions.append("reopen")
    return actions


def case_get(*, actor, number: str) -> CaseDetail:
    case = (
        Case.objects.select_related("category", "grid", "handler_unit", "assignee")
        .filter(number=number)
        .first()
    )
    if case is None or not can_see_case(actor, case):
        raise case_not_found(number)
    timeline = list(case.events.order_by("at", "id"))
    report_ins = current_report_ins(case)
    extensions = list(case.extension_requests.select_related("unit").order_by("requested_at"))
    pending = any(request.status == ExtensionStatus.PENDING for request in extensions)
    return CaseDetail(
        case=case,
        timeline=timeline,
        actions=case_actions(actor, case, report_ins=report_ins, pending_extension=pending),
        report_ins=report_ins,
        extension_requests=extensions,
    )


def _queue_filter(actor, queue: str) -> Q:
    if queue == "to_accept":
        return Q(state=CaseState.REPORTED) & scope_q(
            transition_paths(actor, TRANSITIONS["accept"]), "handler_path"
        )
    if queue == "to_dispatch":
        return Q(state=CaseState.ACCEPTED) & scope_q(
            transition_paths(actor, TRANSITIONS["dispatch"]), "handler_path"
        )
    if queue == "to_report_in":
        paths = transition_paths(actor, SIDE_ACTIONS["report_in"])
        waiting = CaseReportIn.objects.filter(
            scope_q(paths, "unit_path"),
            whistle__is_current=True,
            reported_in_at__isnull=True,
        ).values("case_id")
        return Q(pk__in=waiting) if paths else Q(pk__in=[])
    if queue == "to_verify":
        return Q(state=CaseState.HANDLED) & scope_q(transition_paths(actor, TRANSITIONS["verify"]))
    if queue == "overdue":
        open_states = [state for state in CaseState.values if state not in FINAL_STATES]
        return (
            Q(state__in=open_states)
            & ~Q(state=CaseState.PAUSED)
            & Q(stage_due_at__lt=timezone.now())
            & case_scope_q(actor)
        )
    # "mine": what the actor's units hold to work on, or a resident's own reports.
    if getattr(actor, "is_resident", False):
        user = getattr(actor, "user", None)
        return Q(reporter_id=user.pk) if user is not None else Q(pk__in=[])
    working = (CaseState.DISPATCHED, CaseState.IN_PROGRESS, CaseState.PAUSED)
    return Q(state__in=working) & scope_q(
        transition_paths(actor, TRANSITIONS["handle"]), "handler_path"
    )


def case_queue(*, actor, queue: str, after_id: int | None = None, limit: int = 50) -> CasePage:
    if queue not in QUEUES:
        raise ValidationFailed(
            _("Unknown queue %(queue)s; choose one of %(queues)s.")
            % {"queue": queue, "queues": ", ".join(QUEUES)},
            code="invalid",
            field="queue",
        )
    limit = max(1, min(int(limit), MAX_PAGE))
    rows: QuerySet[Case] = Case.objects.filter(_queue_filter(actor, queue))
    if after_id is not None:
        rows = rows.filter(id__gt=after_id)
    items = list(
        rows.select_related("category", "grid", "handler_unit", "assignee").order_by("id")[
            : limit + 1
        ]
    )
    more = len(items) > limit
    items = items[:limit]
    return CasePage(items=items, next_after=items[-1].pk if more else None)


def dispatch_targets(*, actor, case: Case) -> list[OrgUnit]:
    """The departments and communities the actor may dispatch this case to (the same rule as
    services.case_dispatch: active, and inside the actor's dispatch scope)."""
    if not may_take(actor, case, TRANSITIONS["dispatch"]):
        return []
    return list(
        OrgUnit.objects.filter(
            scope_q(transition_paths(actor, TRANSITIONS["dispatch"])),
            kind__in=(OrgUnitKind.DEPARTMENT, OrgUnitKind.COMMUNITY),
            is_active=True,
        ).order_by("kind", "code")
    )


def leaf_categories() -> QuerySet[CaseCategory]:
    """Active categories with no active sub-categories: what a case is reported against (a
    class with active sub-classes is a group). Open311 lists the same as its services."""
    return (
        CaseCategory.objects.filter(is_active=True)
        .exclude(children__is_active=True)
        .select_related("parent")
        .order_by("parent__sort_order", "sort_order", "code")
    )


def handler_choices(units: list[OrgUnit]) -> list[tuple[str, str]]:
    """(username, "name (unit)") of the people who handle for any of `units`, for the dispatch
    form's optional handler."""
    rows = (
        RoleAssignment.objects.filter(org_unit__in=units, role__in=HANDLERS, user__is_active=True)
        .select_related("user", "org_unit")
        .order_by("org_unit__code", "user__username")
    )
    seen: dict[str, str] = {}
    for row in rows:
        name = getattr(row.user, "display_name", "") or row.user.username
        seen.setdefault(row.user.username, f"{name} ({row.org_unit.name})")
    return list(seen.items())
