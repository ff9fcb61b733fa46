"""The audit trail: one append-only row per login, denial, write and sensitive read."""

from typing import Any

from django.utils import timezone

from .context import current_ip
from .fast_insert import insert_row
from .models import AuditEvent, AuditResult


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    org_path: str = "",
    result: str = AuditResult.OK,
    detail: dict | None = None,
    username: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one audit row. `actor` is a User, None (anonymous) or an object with `.user`.

    `detail` must never hold personal data: codes, field names, counts and reasons only.
    """
    user = getattr(actor, "user", actor)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    return insert_row(
        AuditEvent(
            occurred_at=timezone.now(),
            actor=user,
            actor_username=username or (user.get_username() if user else ""),
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            org_path=org_path,
            result=result,
            ip_address=ip_address or current_ip.get(),
            detail=detail or {},
        )
    )
