"""Who may see and change org units, and the audit rows for writes and denials.

Seeing: any role on an ancestor-or-self of the unit. Changing: the admin role on an
ancestor-or-self, or the system actor (management commands, the demo generator). A unit the actor
cannot see is NotFound; one it can see but not change is PermissionDenied. Services record the
denial with their own action (core.denials.denials_audited, after the transaction has rolled
back), for every caller: pages, API, tasks. Pages and the API also write `access.denied`.
"""

from typing import TypeVar

from django.utils.translation import gettext as _

from wangge.core.audit import audit_record
from wangge.core.denials import mark_denial as mark_for_audit
from wangge.core.errors import NotFound, PermissionDenied, WanggeError
from wangge.core.models import AuditResult
from wangge.core.revisions import DIRECTORY, revision_bump
from wangge.core.scope import Actor, path_in_scope

from .enums import Role

SYSTEM_USERNAME = "system"
OBJECT_TYPE = "orgs.orgunit"

Error = TypeVar("Error", bound=WanggeError)


def system_actor() -> Actor:
    """The actor of management commands and the demo generator: everything, everywhere."""
    return Actor.system()


def is_system(actor) -> bool:
    return bool(getattr(actor, "is_system", False))


def visible_paths(actor) -> tuple[str, ...]:
    """Top paths of what the actor may see ("/" = everything)."""
    if is_system(actor):
        return ("/",)
    return actor.paths()


def admin_paths(actor) -> tuple[str, ...]:
    if is_system(actor):
        return ("/",)
    return actor.paths(Role.ADMIN)


def can_see(actor, path: str) -> bool:
    return path_in_scope(path, visible_paths(actor))


def can_admin(actor, path: str) -> bool:
    return path_in_scope(path, admin_paths(actor))


def unit_not_found(code: str) -> NotFound:
    """What a missing unit and an out-of-scope unit both look like. The detail lets the page/API
    denial record (core.denials) name the unit."""
    return NotFound(
        _("Org unit %(code)s not found.") % {"code": code},
        field="code",
        detail={"object_type": OBJECT_TYPE, "object_id": code},
    )


def mark_denial(exc: Error, *, code: str, path: str) -> Error:
    """Mark a refusal about unit `code` for core.denials.denials_audited."""
    return mark_for_audit(exc, object_type=OBJECT_TYPE, object_id=code, path=path)


def require_admin(actor, *, code: str, path: str) -> None:
    """NotFound when the unit is out of the actor's scope, PermissionDenied when not an admin.

    The error is marked for `denials_audited`, which records it with the service's action.
    """
    if can_admin(actor, path):
        return
    if not can_see(actor, path):
        raise mark_denial(unit_not_found(code), code=code, path=path)
    raise mark_denial(
        PermissionDenied(
            _("Only an admin of %(code)s or of a unit above it may change it.") % {"code": code},
            field="code",
            detail={"object_type": OBJECT_TYPE, "object_id": code},
        ),
        code=code,
        path=path,
    )


def audit_org(
    actor,
    action: str,
    *,
    code: str,
    path: str = "",
    detail: dict | None = None,
    result: str = AuditResult.OK,
) -> None:
    """One audit row about an org unit. `detail`: codes, kinds and areas, never personal data.

    Every successful org write passes here, so it also tells the grid-card cache to reload.
    """
    if result == AuditResult.OK:
        revision_bump(DIRECTORY)
    audit_record(
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=code,
        org_path=path,
        result=result,
        detail=detail or {},
        username=SYSTEM_USERNAME if is_system(actor) else "",
    )
