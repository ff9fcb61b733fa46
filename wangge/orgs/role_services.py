"""Role assignments: who holds which role on which unit (and so its subtree). Admins of the unit
(or above) assign and revoke; every change is audited, a refusal too.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from wangge.core.denials import denials_audited
from wangge.core.errors import ValidationFailed
from wangge.core.models import AccountKind

from .enums import Role
from .models import OrgUnit, RoleAssignment
from .permissions import audit_org, require_admin, unit_not_found
from .services import require_active


def _role_target(actor, *, user, role: str, org_unit_code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=org_unit_code).first()
    if unit is None:
        raise unit_not_found(org_unit_code)
    require_admin(actor, code=unit.code, path=unit.path)
    if role not in Role.values:
        raise ValidationFailed(
            _("Role must be one of %(roles)s.") % {"roles": ", ".join(Role.values)},
            code="role_unknown",
            field="role",
        )
    return unit


@denials_audited("orgs.role_assign")
@transaction.atomic
def role_assign(*, actor, user, role: str, org_unit_code: str) -> RoleAssignment:
    """Give a staff user a role on a unit (and so its subtree). Assigning twice changes nothing."""
    unit = _role_target(actor, user=user, role=role, org_unit_code=org_unit_code)
    require_active(unit)
    if getattr(user, "kind", None) != AccountKind.STAFF or not user.is_active:
        raise ValidationFailed(
            _("Only an active staff account can hold a role."), code="user_not_staff", field="user"
        )
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, org_unit=unit)
    if created:
        audit_org(
            actor,
            "orgs.role_assign",
            code=unit.code,
            path=unit.path,
            detail={"user_id": user.pk, "role": role, "code": unit.code},
        )
    return assignment


@denials_audited("orgs.role_revoke")
@transaction.atomic
def role_revoke(*, actor, user, role: str, org_unit_code: str) -> bool:
    """Take a role away. Returns whether there was one to take."""
    unit = _role_target(actor, user=user, role=role, org_unit_code=org_unit_code)
    deleted, _rows = RoleAssignment.objects.filter(user=user, role=role, org_unit=unit).delete()
    if deleted:
        audit_org(
            actor,
            "orgs.role_revoke",
            code=unit.code,
            path=unit.path,
            detail={"user_id": user.pk, "role": role, "code": unit.code},
        )
    return bool(deleted)
