"""A/B posts (AB岗) and leave: who stands in for whom, and while when.

A unit's A post names its B post; a recorded leave makes the B post stand in for the A post on
those days. Apps that assign work to people (cases) register a LEAVE_HOOKS callable that hands
the absent person's open work over, in the same transaction as the leave.

Who may set posts and record leave: an admin, or staff who run a unit (command centre,
community staff, department staff) on the unit or above it. Out of scope is NotFound.
"""

from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from wangge.core.denials import denials_audited
from wangge.core.errors import PermissionDenied, ValidationFailed
from wangge.core.models import User
from wangge.core.scope import path_in_scope

from .enums import Role
from .models import DutyPost, Leave, OrgUnit, RoleAssignment
from .permissions import (
    audit_org,
    can_see,
    is_system,
    mark_denial,
    unit_not_found,
)

MANAGERS = (Role.ADMIN, Role.COMMAND_CENTRE, Role.COMMUNITY_STAFF, Role.DEPARTMENT_STAFF)
MAX_LEAVE_DAYS = 366

# (absent user, B-post user or None, first day, last day): called inside leave_record.
LEAVE_HOOKS: list[Callable[[User, User | None, date, date], None]] = []


def _managed_unit(actor, code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise unit_not_found(code)
    if not can_see(actor, unit.path):
        raise mark_denial(unit_not_found(code), code=code, path=unit.path)
    paths = ("/",) if is_system(actor) else actor.paths(*MANAGERS)
    if not path_in_scope(unit.path, paths):
        # Marked, so denials_audited records it after the transaction rolled back.
        raise mark_denial(
            PermissionDenied(
                _("Only those who run %(unit)s set its A/B posts and record leave.")
                % {"unit": unit.name},
                field="org_unit_code",
            ),
            code=code,
            path=unit.path,
        )
    return unit


def _member(user: User | None, unit: OrgUnit, field: str) -> User:
    if user is None or not RoleAssignment.objects.filter(user=user, org_unit=unit).exists():
        raise ValidationFailed(
            _("%(field)s must be a staff member holding a role on %(unit)s.")
            % {"field": field, "unit": unit.name},
            code="not_a_member",
            field=field,
        )
    return user


@denials_audited("orgs.duty_post_set")
@transaction.atomic
def duty_post_set(
    *, actor, org_unit_code: str, a_user: User | None, b_user: User | None
) -> DutyPost:
    unit = _managed_unit(actor, org_unit_code)
    a_user = _member(a_user, unit, "a_user")
    b_user = _member(b_user, unit, "b_user")
    if a_user.pk == b_user.pk:
        raise ValidationFailed(
            _("The A post and the B post must be two different people."),
            code="same_person",
            field="b_user",
        )
    post, _created = DutyPost.objects.update_or_create(
        org_unit=unit, a_user=a_user, defaults={"b_user": b_user}
    )
    audit_org(
        actor,
        "orgs.duty_post_set",
        code=unit.code,
        path=unit.path,
        detail={"a_user_id": a_user.pk, "b_user_id": b_user.pk},
    )
    return post


def on_leave(user_id: int, day: date) -> bool:
    return Leave.objects.filter(user_id=user_id, starts_on__lte=day, ends_on__gte=day).exists()


def stand_in_for(user: User, day: date) -> User | None:
    """The B post standing in for `user` on `day`; None when `user` is at work (or has no B
    post at work)."""
    if not on_leave(user.pk, day):
        return None
    absent = Leave.objects.filter(starts_on__lte=day, ends_on__gte=day).values("user_id")
    post = (
        DutyPost.objects.filter(a_user=user)
        .exclude(b_user_id__in=absent)
        .select_related("b_user")
        .order_by("id")
        .first()
    )
    return post.b_user if post is not None else None


@denials_audited("orgs.leave_record")
@transaction.atomic
def leave_record(
    *, actor, org_unit_code: str, user: User | None, starts_on: date, ends_on: date, note: str = ""
) -> Leave:
    unit = _managed_unit(actor, org_unit_code)
    user = _member(user, unit, "user")
    if ends_on < starts_on:
        raise ValidationFailed(
            _("The leave must end on or after its first day."), code="invalid", field="ends_on"
        )
    if (ends_on - starts_on).days >= MAX_LEAVE_DAYS:
        raise ValidationFailed(
            _("A leave may last at most a year."), code="too_long", field="ends_on"
        )
    overlapping = Leave.objects.filter(
        Q(user=user) & Q(starts_on__lte=ends_on) & Q(ends_on__gte=starts_on)
    )
    if overlapping.exists():
        raise ValidationFailed(
            _("A leave overlapping these days is already recorded."),
            code="overlap",
            field="starts_on",
        )
    leave = Leave.objects.create(
        user=user,
        starts_on=starts_on,
        ends_on=ends_on,
        note=(note or "").strip()[:200],
        recorded_by=getattr(actor, "user", None),
    )
    stand_in = stand_in_for(user, starts_on)
    for hook in LEAVE_HOOKS:
        hook(user, stand_in, starts_on, ends_on)
    audit_org(
        actor,
        "orgs.leave_record",
        code=unit.code,
        path=unit.path,
        detail={"user_id": user.pk, "days": (ends_on - starts_on).days + 1},
    )
    return leave
