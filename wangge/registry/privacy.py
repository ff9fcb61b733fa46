"""Privacy controls of the register: the audited reveal of a full value, retention (archive and
erase identifiers of persons who left long ago) and the re-encryption pass after a key rotation.
A person's data export for their own request is in data_export.py.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.audit import audit_record
from wangge.core.crypto import needs_reencryption, reencrypt
from wangge.core.errors import PermissionDenied, RateLimited, ValidationFailed
from wangge.core.models import AuditResult
from wangge.core.reauth import reauthenticate, require_fresh_authentication
from wangge.orgs.permissions import is_system

from .identity import ADDRESS_AAD, CONTACT_PHONE_AAD, ID_AAD, PHONE_AAD, decrypted_identifiers
from .models import Organisation, Person, RecordChange
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


def confirm_fresh_authentication(*, actor, request, password: str = "", code: str | None = None):
    """The password (and TOTP code) given with the request, or a re-authentication of the same
    session or token within WANGGE_REVEAL_FRESH_SECONDS. The system actor needs neither."""
    if is_system(actor):
        return
    if password:
        reauthenticate(
            user=getattr(actor, "user", None), request=request, password=password, code=code
        )
    else:
        require_fresh_authentication(request)


def refuser(actor, action: str, *, person, detail: dict):
    """A function that audits a refused attempt (with `detail` and the refusal's code) and marks
    the error as audited, so that no later layer records it again."""

    def refuse(exc, result=AuditResult.DENIED):
        audit_register(
            actor,
            action,
            object_type="person",
            object_id=person.id,
            path=person.path,
            detail={**detail, "refused": exc.code},
            result=result,
        )
        exc.audited = True
        return exc

    return refuse


def refusal_result(exc) -> str:
    """A wrong password or missing input is a failure; anything else (no right, locked out,
    not re-authenticated, rate-limited) a denial."""
    return AuditResult.FAILED if isinstance(exc, ValidationFailed) else AuditResult.DENIED


def person_reveal(
    *,
    actor,
    request,
    person_id: int,
    field: str,
    reason: str,
    password: str = "",
    code: str | None = None,
) -> str:
    """The full value of one identifier, for a stated reason, after a fresh authentication: the
    password (and TOTP code when enrolled) given here, or a re-authentication within
    WANGGE_REVEAL_FRESH_SECONDS. A wrong password counts toward the lockout.

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
    refuse = refuser(actor, "registry.person_reveal", person=person, detail=base)
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
        confirm_fresh_authentication(actor=actor, request=request, password=password, code=code)
    except (ValidationFailed, PermissionDenied, RateLimited) as exc:
        raise refuse(exc, refusal_result(exc)) from None
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
