"""Reads for the A/B posts and leave page: the units the actor runs, their people, posts and
current or coming leaves."""

from dataclasses import dataclass
from datetime import date

from wangge.core.models import User
from wangge.core.scope import scope_q

from .duty import MANAGERS
from .models import DutyPost, Leave, OrgUnit, RoleAssignment
from .permissions import is_system


@dataclass
class DutyUnit:
    unit: OrgUnit
    people: list  # users holding a role on the unit
    posts: list[DutyPost]
    leaves: list[Leave]


def duty_overview(*, actor, today: date, limit: int = 50) -> list[DutyUnit]:
    paths = ("/",) if is_system(actor) else actor.paths(*MANAGERS)
    units = list(
        OrgUnit.objects.filter(scope_q(paths), is_active=True, role_assignments__isnull=False)
        .exclude(kind__in=("grid", "dedicated_grid"))
        .distinct()
        .order_by("path")[:limit]
    )
    people: dict[int, dict] = {unit.pk: {} for unit in units}
    for row in RoleAssignment.objects.filter(org_unit__in=units).select_related("user"):
        people[row.org_unit_id].setdefault(row.user_id, row.user)
    posts: dict[int, list[DutyPost]] = {unit.pk: [] for unit in units}
    for post in DutyPost.objects.filter(org_unit__in=units).select_related("a_user", "b_user"):
        posts[post.org_unit_id].append(post)
    user_ids = {uid for group in people.values() for uid in group}
    leaves: dict[int, list[Leave]] = {}
    for leave in Leave.objects.filter(user_id__in=user_ids, ends_on__gte=today).select_related(
        "user"
    ):
        leaves.setdefault(leave.user_id, []).append(leave)
    return [
        DutyUnit(
            unit=unit,
            people=sorted(people[unit.pk].values(), key=lambda user: user.username),
            posts=posts[unit.pk],
            leaves=[leave for uid in people[unit.pk] for leave in leaves.get(uid, [])],
        )
        for unit in units
    ]


def duty_person(username: str) -> User | None:
    """The active account a post or leave form names (the services check that it belongs to
    the unit)."""
    return User.objects.filter(username=username, is_active=True).first()
