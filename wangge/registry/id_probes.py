"""ID numbers registered elsewhere: one neutral answer, audited, and a per-user allowance.

An ID number is unique across the whole register, so adding a person whose number is already
registered outside the actor's sight must fail, and the failure itself tells that the person
exists somewhere. The answer therefore names no place and is the same whether the person lives
in another community or in a household of the actor's own area that the actor cannot see; it
offers a transfer request (人员转入) instead. Each such answer is a "probe": audited (without the
number) and counted against WANGGE_ID_PROBE_RATE per user, in the shared cache through
django-ratelimit, so that nobody can sweep the register for who lives where.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from wangge.core.errors import RateLimited, ValidationFailed
from wangge.core.models import AuditResult
from wangge.orgs.permissions import is_system

from .permissions import audit_register

PROBE_GROUP = "registry.id_number_probe"
PROBE_ACTION = "registry.id_number_probe"


class TransferRequired(ValidationFailed):
    """The ID number belongs to a person the actor cannot see: ask for a transfer instead."""

    code = "transfer_required"

    def __init__(self) -> None:
        super().__init__(
            _(
                "This ID number cannot be registered here. If the person moved into your area, "
                "request a transfer."
            ),
            field="id_number",
        )


def _usage(actor, *, increment: bool) -> dict | None:
    user = getattr(actor, "user", None)
    if is_system(actor) or user is None:
        return None
    # django-ratelimit needs a request only for keys read from one; this key is the user.
    return get_usage(
        None,
        group=PROBE_GROUP,
        key=lambda _group, _request: f"user:{user.pk}",
        rate=settings.WANGGE_ID_PROBE_RATE,
        increment=increment,
    )


def _rate_limited() -> RateLimited:
    return RateLimited(
        _(
            "You have met too many ID numbers registered elsewhere (at most %(rate)s). "
            "Try again later, or ask the register administrator."
        )
        % {"rate": settings.WANGGE_ID_PROBE_RATE},
        field="id_number",
    )


def id_probe_audit(
    actor, *, source: str, result: str = AuditResult.FAILED, count: int = 1, refused: str = ""
) -> None:
    """One audit row for `count` probes from `source` (no ID number: it is the secret)."""
    detail: dict = {"source": source, "count": count}
    if refused:
        detail["refused"] = refused
    # Its own (nested) transaction: written after the caller's write was rolled back.
    with transaction.atomic():
        audit_register(
            actor, PROBE_ACTION, object_type="person", object_id="", detail=detail, result=result
        )


def id_probe_allowance_check(actor, *, source: str) -> None:
    """Refuse (429, audited) an actor who has used up the allowance, before any lookup."""
    usage = _usage(actor, increment=False)
    if usage is not None and usage["count"] >= usage["limit"]:
        id_probe_audit(
            actor, source=source, result=AuditResult.DENIED, count=0, refused="rate_limited"
        )
        raise _rate_limited()


def id_probe_record(actor, *, source: str, count: int = 1) -> None:
    """Audit `count` answers that told the actor an ID number is registered elsewhere, and
    count them against the allowance. Call outside the rolled-back write."""
    if count <= 0:
        return
    id_probe_audit(actor, source=source, count=count)
    for _probe in range(count):
        _usage(actor, increment=True)


def id_probe_take(actor, *, source: str) -> None:
    """For a caller telling one row at a time (the importer, which audits the rows of a chunk
    in one row): count one probe, or refuse when the allowance is used up."""
    id_probe_allowance_check(actor, source=source)
    _usage(actor, increment=True)


def id_probe_count(actor) -> None:
    """Count one probe whose answer is audited by its own service (a transfer request)."""
    _usage(actor, increment=True)
