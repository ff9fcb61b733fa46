"""The roles side of accounts, for core (through hooks) and for the API's /auth/me.

Core cannot import orgs; OrgsConfig.ready() installs staff_directory as
wangge.core.accounts.STAFF_DIRECTORY (and actor_for as wangge.core.scope.ACTOR_RESOLVER).
"""

from wangge.core.accounts import RoleGrant, StaffEntry
from wangge.core.models import AccountKind
from wangge.core.scope import scope_q

from .models import RoleAssignment


def _grant(assignment: RoleAssignment) -> RoleGrant:
    unit = assignment.org_unit
    return RoleGrant(
        role=assignment.role,
        role_label=str(assignment.get_role_display()),
        org_unit_code=unit.code,
        org_unit_name=unit.name,
        path=unit.path,
    )


def staff_directory(paths: tuple[str, ...], limit: int) -> list[StaffEntry]:
    """Staff users holding a role on a unit under `paths`, each with those roles, by username."""
    assignments = (
        RoleAssignment.objects.filter(
            scope_q(paths, "org_unit__path"), user__kind=AccountKind.STAFF
        )
        .select_related("user", "org_unit")
        .order_by("user__username", "org_unit__path", "role")
    )
    entries: dict[int, tuple] = {}
    for assignment in assignments.iterator(chunk_size=2000):
        if assignment.user_id not in entries:
            if len(entries) >= limit:
                break
            entries[assignment.user_id] = (assignment.user, [])
        entries[assignment.user_id][1].append(_grant(assignment))
    return [StaffEntry(user=user, grants=tuple(grants)) for user, grants in entries.values()]


def role_grants_for(user) -> list[RoleGrant]:
    """The user's own roles on active units (what /auth/me reports)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [
        _grant(assignment)
        for assignment in RoleAssignment.objects.filter(user=user, org_unit__is_active=True)
        .select_related("org_unit")
        .order_by("org_unit__path", "role")
    ]
