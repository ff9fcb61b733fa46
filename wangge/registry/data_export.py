"""A person's data export, for their own request (the right of access).

Everything the register holds about one person leaves the system here, so it needs more than a
page view: the `registry.export_personal_data` permission (granted to nobody by default) and an
admin role over the person's area, a stated reason, a fresh authentication (the password and
TOTP code again, within WANGGE_REVEAL_FRESH_SECONDS) and a per-user rate limit
(WANGGE_DATA_EXPORT_RATE). Identifiers stay masked unless the caller may reveal them
(`registry.reveal_personal_data`); sensitive tags appear only with a TagGrant for them. Every
attempt is audited; a successful one names each field that left and whether it was masked or
revealed (never a value).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from wangge.core.errors import PermissionDenied, RateLimited, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.core.ratelimits import user_rate_limit
from wangge.orgs.enums import Role
from wangge.orgs.permissions import is_system

from .identity import decrypted_identifiers, masked_identifiers
from .models import PersonTag, RecordChange
from .permissions import audit_register, has_register_permission, visible_tag_ids, visible_tags
from .privacy import confirm_fresh_authentication, refusal_result, refuser
from .selectors import TAG_FIELD, TAG_FIELD_PREFIX
from .services import person_in_scope

ACTION = "registry.person_data_export"
PLAIN_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "residence_status",
    "party_member",
    "employer",
    "relationship",
    "move_in_date",
    "move_out_date",
)


def data_export_rate() -> str:
    return settings.WANGGE_DATA_EXPORT_RATE


def _may_export(actor, person) -> bool:
    if is_system(actor):
        return True
    is_area_admin = any(person.path.startswith(p) for p in actor.paths(Role.ADMIN))
    return is_area_admin and has_register_permission(actor, "export_personal_data")


def person_data_export(
    *,
    actor,
    request,
    person_id: int,
    reason: str,
    password: str = "",
    code: str | None = None,
) -> dict:
    """The person's record, household, grid, tags, change history and access log.

    Not a transaction: the audit row of a refused attempt must stay.
    """
    person = person_in_scope(actor=actor, person_id=person_id)
    reason = (reason or "").strip()
    refuse = refuser(actor, ACTION, person=person, detail={"reason": reason[:200]})
    try:
        if not _may_export(actor, person):
            raise PermissionDenied(
                _(
                    "Only an admin of the person's area with the data export permission may "
                    "export a person's data."
                ),
                code="not_allowed",
            )
        if len(reason) < 4:
            raise ValidationFailed(
                _("State the reason for the export (at least 4 characters)."),
                code="required",
                field="reason",
            )
        confirm_fresh_authentication(actor=actor, request=request, password=password, code=code)
        if not is_system(actor):
            user_rate_limit(
                group=ACTION,
                user_id=actor.user.pk,
                rate=data_export_rate(),
                message=_("Too many personal data exports; try again later."),
            )
    except (ValidationFailed, PermissionDenied, RateLimited) as exc:
        raise refuse(exc, refusal_result(exc)) from None

    reveal = has_register_permission(actor, "reveal_personal_data")
    identifiers = decrypted_identifiers(person) if reveal else masked_identifiers(person)
    record = {field: _plain_value(getattr(person, field)) for field in PLAIN_FIELDS}
    record.update(identifiers)
    tags = [
        {
            "tag": row.tag.code,
            "valid_from": row.valid_from.isoformat(),
            "valid_to": row.valid_to.isoformat() if row.valid_to else None,
            "grade": row.grade,
        }
        for row in PersonTag.objects.filter(person=person, tag_id__in=visible_tag_ids(actor))
        .select_related("tag")
        .order_by("valid_from", "id")
    ]
    history = _history(actor, person.id)
    access_log = [
        {"at": row.occurred_at.isoformat(), "by": row.actor_username, "action": row.action}
        for row in AuditEvent.objects.filter(
            object_type="registry.person", object_id=str(person.id)
        ).order_by("occurred_at", "id")
    ]
    household = person.household
    export = {
        "person": record,
        "masked": not reveal,
        "household": household.number if household else None,
        "grid": person.grid.code if person.grid else None,
        "tags": tags,
        "history": history,
        "access_log": access_log,
    }
    shown = {field: "plain" for field in PLAIN_FIELDS}
    shown.update({field: "revealed" if reveal else "masked" for field in identifiers})
    audit_register(
        actor,
        ACTION,
        object_type="person",
        object_id=person.id,
        path=person.path,
        detail={
            "reason": reason[:200],
            "fields": shown,
            "tags": len(tags),
            "history": len(history),
            "access_log": len(access_log),
        },
    )
    return export


def _history(actor, person_id: int) -> list[dict]:
    """Which fields changed when; changes of a tag the actor may not see are left out, like
    on the profile, so that the history does not reveal a sensitive tag."""
    codes = set(visible_tags(actor).values())
    entries = []
    for row in RecordChange.objects.filter(object_type="person", object_id=person_id).order_by(
        "changed_at", "id"
    ):
        fields = []
        for name, value in (row.changes or {}).items():
            old, new = (
                value if isinstance(value, list | tuple) and len(value) == 2 else (None, value)
            )
            if name == TAG_FIELD:
                code = str(new or old or "")
            elif name.startswith(TAG_FIELD_PREFIX):
                code = name[len(TAG_FIELD_PREFIX) :]
            else:
                fields.append(name)
                continue
            if code in codes:
                fields.append(name)
        if row.changes and not fields:
            continue
        entries.append(
            {"at": row.changed_at.isoformat(), "action": row.action, "fields": sorted(fields)}
        )
    return entries


def _plain_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
