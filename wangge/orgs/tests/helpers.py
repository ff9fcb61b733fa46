"""Shared assertions for the org tests."""

from wangge.core.models import AuditEvent
from wangge.core.revisions import revision_get
from wangge.orgs.models import OrgUnit, RoleAssignment


def snapshot() -> list[tuple]:
    """Everything a write could change, to prove that a refused one changed nothing."""
    units = list(
        OrgUnit.objects.order_by("code").values_list(
            "code",
            "name",
            "kind",
            "path",
            "boundary",
            "area_m2",
            "institution",
            "is_active",
            "version",
        )
    )
    roles = list(
        RoleAssignment.objects.order_by("id").values_list("user_id", "role", "org_unit_id")
    )
    return [*units, *roles]


def boundaries_revision() -> int:
    return revision_get("grid_boundaries")


def audit_rows(action: str, result: str = "ok"):
    return AuditEvent.objects.filter(action=action, result=result)
