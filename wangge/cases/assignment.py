"""Cases assigned to a person, and A/B posts: work for an absent handler goes to their B post.

At dispatch the dispatcher may name a handler of the target unit; if that person is on leave
that day, the case goes to their B post at once. When a leave is recorded (orgs.duty.LEAVE_HOOKS)
or begins (the sweep calls `reassign_absent`), the open cases assigned to the absent person move
to the B post, each with a "reassign" event. A person with no B post at work keeps the case (the
unit still holds it, and its queue shows it).
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.calendar import LOCAL_TZ
from wangge.core.errors import ValidationFailed
from wangge.core.models import User
from wangge.orgs.duty import stand_in_for
from wangge.orgs.models import Leave, OrgUnit, RoleAssignment

from .enums import FINAL_STATES
from .events import record_event
from .models import Case
from .transitions import HANDLERS


def assignee_for(username: str, unit: OrgUnit, day: date) -> tuple[User, User | None]:
    """(who gets the case, whom they stand in for). The named person must handle for `unit`."""
    user = User.objects.filter(username=username, is_active=True).first()
    holds = (
        user is not None
        and RoleAssignment.objects.filter(
            user=user, role__in=HANDLERS, org_unit__path__startswith=unit.path
        ).exists()
    )
    if user is None or not holds:
        raise ValidationFailed(
            _("%(name)s is not a handler of %(unit)s.") % {"name": username, "unit": unit.name},
            code="invalid_assignee",
            field="assignee",
        )
    stand_in = stand_in_for(user, day)
    return (stand_in, user) if stand_in is not None else (user, None)


def _reassign(cases: list[Case], absent: User, stand_in: User, now: datetime) -> int:
    for case in cases:
        case.assignee = stand_in
        case.save(update_fields=["assignee", "updated_at"])
        record_event(
            case,
            None,
            "reassign",
            at=now,
            from_state=case.state,
            to_state=case.state,
            detail={"assignee": stand_in.username, "stand_in_for": absent.username},
        )
    return len(cases)


def _open_cases_of(user: User) -> list[Case]:
    return list(
        Case.objects.filter(assignee=user)
        .exclude(state__in=FINAL_STATES)
        .select_related("category", "handler_unit")
    )


def hand_over_on_leave(user: User, stand_in: User | None, starts_on: date, ends_on: date) -> None:
    """orgs.duty.LEAVE_HOOKS: a leave that covers today hands the open cases over now."""
    now = timezone.now()
    today = now.astimezone(LOCAL_TZ).date()
    if stand_in is not None and starts_on <= today <= ends_on:
        _reassign(_open_cases_of(user), user, stand_in, now)


def reassign_absent(now: datetime) -> int:
    """The sweep's part: open cases whose assignee is on leave today go to the B post."""
    today = now.astimezone(LOCAL_TZ).date()
    absent_ids = Leave.objects.filter(starts_on__lte=today, ends_on__gte=today).values("user_id")
    assignees = (
        Case.objects.filter(assignee_id__in=absent_ids)
        .exclude(state__in=FINAL_STATES)
        .values_list("assignee_id", flat=True)
        .distinct()
    )
    moved = 0
    for user in User.objects.filter(pk__in=list(assignees)):
        stand_in = stand_in_for(user, today)
        if stand_in is not None:
            moved += _reassign(_open_cases_of(user), user, stand_in, now)
    return moved
