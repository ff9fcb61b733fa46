"""Who may see which register records and tags, and the audit rows of register writes and reads.

Seeing a record: any role on an ancestor-or-self of its path (as for org units); a record out of
scope is NotFound. Sensitive tags: only with a TagGrant for that tag; to anyone else such a tag
does not exist (pages, counts, search, exports, API). Full values of ID number, phone and
address: the `registry.reveal_personal_data` permission, a reason and a fresh authentication.
"""

from django.utils.translation import gettext as _

from wangge.core.audit import audit_record
from wangge.core.errors import NotFound, PermissionDenied
from wangge.core.models import AuditResult
from wangge.core.revisions import RevisionCache
from wangge.core.scope import path_in_scope
from wangge.orgs.enums import Role
from wangge.orgs.permissions import is_system, visible_paths

from .models import KeyPopulationTag, TagGrant

SYSTEM_USERNAME = "system"

# Who keeps the register current: the grid's own workers and the community above them.
WRITE_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF, Role.ADMIN)


def register_paths(actor) -> tuple[str, ...]:
    """Top paths of the register the actor may see; departments see none (no record has
    a department's path)."""
    return visible_paths(actor)


TAGS_REVISION = "registry_tags"


def _load_tags() -> list[tuple[int, str, bool]]:
    return list(KeyPopulationTag.objects.values_list("id", "code", "sensitive"))


# Tags change rarely (an admin adds one); every grid card and list reads them.
_all_tags: RevisionCache[list[tuple[int, str, bool]]] = RevisionCache(TAGS_REVISION, _load_tags)


def visible_tags(actor) -> dict[int, str]:
    """{id: code} of the tags the actor may see: every ordinary tag, and sensitive ones granted.

    Kept on the actor, which lives for one request, so a page asks the database once.
    """
    cache = getattr(actor, "extra", None)
    if isinstance(cache, dict) and "visible_tags" in cache:
        return cache["visible_tags"]
    rows = _all_tags.get()
    user = getattr(actor, "user", None)
    if is_system(actor):
        tags = {tag_id: code for tag_id, code, _sensitive in rows}
    else:
        granted = (
            set(TagGrant.objects.filter(user=user).values_list("tag_id", flat=True))
            if user is not None
            else set()
        )
        tags = {
            tag_id: code for tag_id, code, sensitive in rows if not sensitive or tag_id in granted
        }
    if isinstance(cache, dict):
        cache["visible_tags"] = tags
    return tags


def visible_tag_ids(actor) -> frozenset[int]:
    return frozenset(visible_tags(actor))


def hidden_tag_codes(actor) -> frozenset[str]:
    """Codes of the sensitive tags the actor holds no grant for."""
    visible = visible_tags(actor)
    return frozenset(
        code for tag_id, code, sensitive in _all_tags.get() if sensitive and tag_id not in visible
    )


def audit_details_redact(actor, events) -> None:
    """The audit trail hook: a sensitive tag's code, in any event's detail (a tag added to a
    person, a grant), reads "sensitive tag" to an auditor without a grant for it. In memory only;
    the stored rows are append-only and untouched."""
    hidden = hidden_tag_codes(actor)
    if not hidden:
        return
    masked = _("sensitive tag")

    def shown(value):
        if isinstance(value, str):
            return masked if value in hidden else value
        if isinstance(value, list):
            return [shown(item) for item in value]
        return value

    for event in events:
        if isinstance(event.detail, dict):
            event.detail = {key: shown(value) for key, value in event.detail.items()}


def write_paths(actor) -> tuple[str, ...]:
    if is_system(actor):
        return ("/",)
    return actor.paths(*WRITE_ROLES)


def require_register_write(actor, *, object_type: str, object_id, path: str) -> None:
    """NotFound when the record is out of the actor's scope, PermissionDenied when the actor
    sees it but holds no role that keeps the register. Both are audited by the caller's layer."""
    if path_in_scope(path, write_paths(actor)):
        return
    if not path_in_scope(path, register_paths(actor)):
        raise record_not_found(object_type, object_id)
    raise PermissionDenied(
        _("Only grid workers, grid leaders, community staff and admins may change the register."),
        field="id",
        detail={"object_type": f"registry.{object_type}", "object_id": str(object_id)},
    )


def has_register_permission(actor, codename: str) -> bool:
    if is_system(actor):
        return True
    user = getattr(actor, "user", None)
    return bool(user is not None and user.has_perm(f"registry.{codename}"))


def record_not_found(object_type: str, object_id) -> NotFound:
    """What a missing record and an out-of-scope record both look like."""
    return NotFound(
        _("Record not found."),
        field="id",
        detail={"object_type": f"registry.{object_type}", "object_id": str(object_id)},
    )


def audit_register(
    actor,
    action: str,
    *,
    object_type: str,
    object_id,
    path: str = "",
    detail: dict | None = None,
    result: str = AuditResult.OK,
) -> None:
    """One audit row about a register record. `detail`: field names, counts, reasons only."""
    audit_record(
        actor=actor,
        action=action,
        object_type=f"registry.{object_type}",
        object_id=object_id,
        org_path=path,
        result=result,
        detail=detail or {},
        username=SYSTEM_USERNAME if is_system(actor) else "",
    )
