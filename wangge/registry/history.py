"""Change history of register records (shown on profiles) and the masked diff it stores."""

from django.utils import timezone

from wangge.core.crypto import mask_id_number, mask_phone
from wangge.orgs.permissions import is_system

from .identity import mask_address
from .models import RecordChange

# Values of these fields never enter the history in full.
MASKS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "registered_address": mask_address,
}


def _shown(field: str, value):
    if field in MASKS:
        return MASKS[field](value or "")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def masked_diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that changed, with personal values masked."""
    return {
        field: [_shown(field, before.get(field)), _shown(field, value)]
        for field, value in after.items()
        if before.get(field) != value
    }


def change_record(actor, *, object_type: str, object_id: int, action: str, changes: dict) -> None:
    user = getattr(actor, "user", None)
    RecordChange.objects.create(
        object_type=object_type,
        object_id=object_id,
        changed_at=timezone.now(),
        actor=user if getattr(user, "is_authenticated", False) else None,
        actor_username="system" if is_system(actor) else (user.get_username() if user else ""),
        action=action,
        changes=changes,
    )
