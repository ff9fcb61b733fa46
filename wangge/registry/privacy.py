"""Privacy controls of the register: the audited reveal of a full value, retention (archive and
erase identifiers of persons who left long ago), a person's data export for their own request,
and the re-encryption pass after a key rotation.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.audit import audit_record
from wangge.core.crypto import needs_reencryption, reencrypt
from wangge.core.errors import PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent, AuditResult
from wangge.core.twofactor import totp_required, totp_verify
from wangge.orgs.enums import Role
from wangge.orgs.permissions import is_system

from .identity import ADDRESS_AAD, CONTACT_PHONE_AAD, ID_AAD, PHONE_AAD, decrypted_identifiers
from .models import Organisation, Person, PersonTag, RecordChange
from .permissions import audit_register, has_register_permission
from .services import person_in_scope

REVEALABLE = ("id_number", "phone", "registered_address")
ERASED = {
    "id_number_encrypted": None,
    "id_number_index": None,
    "id_tail_index": "",
    "phone_encrypted": None,
    "phone_index": "",
    "phone_tail_index": "",
    "registered_address_encrypted": None,
}


def _fresh_authentication(actor, password: str, code: str | None) -> None:
    """The password again, and the TOTP code when the user has two factors."""
    user = getattr(actor, "user", None)
    if user is None or not password or not user.check_password(password):
        raise ValidationFailed(
            _("Enter your password again to reveal a full value."),
            code="reauthentication_failed",
            field="password",
        )
    if totp_required(user) and totp_verify(user=user, code=code) is None:
        raise ValidationFailed(
            _("Enter a current code from your authenticator app."),
            code="reauthentication_failed",
            field="code",
        )


def person_reveal(
    *, actor, person_id: int, field: str, reason: str, password: str, code: str | None = None
) -> str:
    """The full value of one identifier, for a stated reason, after a fresh authentication.

    Every attempt is audited (the reason, never the value). Not a transaction: the audit row of
    a refused attempt must stay.
    """
    person = person_in_scope(actor=actor, person_id=person_id)
    if field not in REVEALABLE:
        raise ValidationFailed(
            _("Only an ID number, phone or registered address can be revealed."),
            code="invalid",
            field="field",
        )
    reason = (reason or "").strip()
    base = {"field": field, "reason": reason[:200]}

    def refuse(exc, result=AuditResult.DENIED):
        audit_register(
            actor,
            "registry.person_reveal",
            object_type="person",
            object_id=person.id,
            path=person.path,
            detail={**base, "refused": exc.code},
            result=result,
        )
        exc.audited = True
        return exc

    if not has_register_permission(actor, "reveal_personal_data"):
        raise refuse(
            PermissionDenied(
                _("You may not reveal full personal values."), field="field", code="not_allowed"
            )
        )
    if len(reason) < 4:
        raise refuse(
            ValidationFailed(
                _("State the reason for revealing the value (at least 4 characters)."),
                code="required",
                field="reason",
            ),
            AuditResult.FAILED,
        )
    try:
        _fresh_authentication(actor, password, code)
    except ValidationFailed as exc:
        raise refuse(exc, AuditResult.FAILED) from None
    value = decrypted_identifiers(person)[field]
    audit_register(
        actor,
        "registry.person_reveal",
        object_type="person",
        object_id=person.id,
        path=person.path,
        detail=base,
    )
    return value


@transaction.atomic
def persons_retention_sweep(*, actor, today: date | None = None) -> int:
    """Archive persons who moved out more than WANGGE_RETENTION_YEARS ago and erase their
    identifiers. Idempotent: archived persons are skipped. Returns how many were archived."""
    if not is_system(actor):
        raise PermissionDenied(_("Only the platform's scheduled task runs retention."))
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=365 * settings.WANGGE_RETENTION_YEARS)
    due = Person.objects.filter(archived_at__isnull=True, move_out_date__lt=cutoff)
    ids = list(due.values_list("id", flat=True))
    if not ids:
        return 0
    now = timezone.now()
    Person.objects.filter(id__in=ids).update(archived_at=now, household=None, **ERASED)
    RecordChange.objects.bulk_create(
        RecordChange(
            object_type="person",
            object_id=person_id,
            changed_at=now,
            actor_username="system",
            action="archive",
            changes={"identifiers": ["…", None]},
        )
        for person_id in ids
    )
    audit_record(
        actor=None,
        action="registry.retention_sweep",
        object_type="registry.person",
        username="system",
        detail={"archived": len(ids), "cutoff": cutoff.isoformat()},
    )
    return len(ids)


def person_data_export(*, actor, person_id: int) -> dict:
    """Everything the register holds about one person, for the person's own request.

    Admins of the person's area only; audited. Includes every tag (the person is entitled to
    see their own record) and who viewed the record when.
    """
    person = person_in_scope(actor=actor, person_id=person_id)
    if not (is_system(actor) or any(person.path.startswith(p) for p in actor.paths(Role.ADMIN))):
        raise PermissionDenied(_("Only an admin of the person's area may export their data."))
    fields = (
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
    record = {field: _plain_value(getattr(person, field)) for field in fields}
    record.update(decrypted_identifiers(person))
    household = person.household
    export = {
        "person": record,
        "household": household.number if household else None,
        "grid": person.grid.code if person.grid else None,
        "tags": [
            {
                "tag": row.tag.code,
                "valid_from": row.valid_from.isoformat(),
                "valid_to": row.valid_to.isoformat() if row.valid_to else None,
                "grade": row.grade,
            }
            for row in PersonTag.objects.filter(person=person).select_related("tag")
        ],
        "history": [
            {"at": row.changed_at.isoformat(), "action": row.action, "fields": sorted(row.changes)}
            for row in RecordChange.objects.filter(object_type="person", object_id=person.id)
        ],
        "access_log": [
            {"at": row.occurred_at.isoformat(), "by": row.actor_username, "action": row.action}
            for row in AuditEvent.objects.filter(
                object_type="registry.person", object_id=str(person.id)
            ).order_by("occurred_at")
        ],
    }
    audit_register(
        actor,
        "registry.person_data_export",
        object_type="person",
        object_id=person.id,
        path=person.path,
    )
    return export


def _plain_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


ENCRYPTED_COLUMNS = (
    (Person, "id_number_encrypted", ID_AAD),
    (Person, "phone_encrypted", PHONE_AAD),
    (Person, "registered_address_encrypted", ADDRESS_AAD),
    (Organisation, "contact_phone_encrypted", CONTACT_PHONE_AAD),
)


def register_reencrypt(*, actor, batch_size: int = 2000) -> int:
    """Rewrite every ciphertext written under an older key version with the current key.

    Batches commit one by one, so a long pass can be stopped and resumed; blind indexes do not
    change (their key is separate). Returns how many values were rewritten.
    """
    if not is_system(actor):
        raise PermissionDenied(_("Only the platform's key rotation command re-encrypts."))
    rewritten = 0
    for model, column, aad in ENCRYPTED_COLUMNS:
        last_id = 0
        while True:
            rows = list(
                model.objects.filter(id__gt=last_id, **{f"{column}__isnull": False})
                .order_by("id")
                .values_list("id", column)[:batch_size]
            )
            if not rows:
                break
            last_id = rows[-1][0]
            stale = [(row_id, blob) for row_id, blob in rows if needs_reencryption(bytes(blob))]
            with transaction.atomic():
                for row_id, blob in stale:
                    model.objects.filter(id=row_id).update(
                        **{column: reencrypt(bytes(blob), aad=aad)}
                    )
            rewritten += len(stale)
    audit_record(
        actor=None,
        action="registry.reencrypt",
        object_type="registry",
        username="system",
        detail={"rewritten": rewritten},
    )
    return rewritten
